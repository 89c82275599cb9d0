// Runs once when the server starts: a bad config or a locked data folder fails loudly at
// boot instead of on the first request, and the first start's database creation is logged.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.SKIP_ENV_VALIDATION === "1") return;
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { getEnv } = await import("@/lib/env");
  getEnv();
  const { getServices } = await import("@/server/context");
  await getServices();
}
