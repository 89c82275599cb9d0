// Runs once when the server starts: a bad config or a locked data folder fails loudly at
// boot instead of on the first request, and the first start's database creation is logged.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.SKIP_ENV_VALIDATION === "1") return;
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { ConfigError, getEnv } = await import("@/lib/env");
  try {
    getEnv();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Next.js would log this and keep serving 500s; a misconfigured server must not start.
    console.error(`\n${error.message}\n\nSee .env.example for every variable.`);
    process.exit(1);
  }
  const { getServices } = await import("@/server/context");
  try {
    await getServices();
  } catch (error) {
    console.error(`\nThe web app could not start: ${(error as Error).message}`);
    process.exit(1);
  }
}
