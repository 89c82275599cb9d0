// Validates the env when the server starts, so a bad config fails loudly at boot, not on the first request.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.SKIP_ENV_VALIDATION === "1") return;
  const { getEnv } = await import("@/lib/env");
  getEnv();
}
