// A bad config or a locked data folder fails loudly at boot instead of on the first request,
// and the first start's database creation is logged.
import { ConfigError, getEnv } from "@/server/env";
import { getServices } from "@/server/context";
import { stampPeerAddresses } from "@/server/peer-address";

async function start(): Promise<void> {
  // Before the first request: route handlers learn the TCP peer's address from this stamp.
  stampPeerAddresses();
  if (process.env.SKIP_ENV_VALIDATION === "1" || process.env.NEXT_PHASE === "phase-production-build") return;
  try {
    getEnv();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Next.js would log this and keep serving 500s; a misconfigured server must not start.
    console.error(`\n${error.message}\n\nSee .env.example for every variable.`);
    process.exit(1);
  }
  try {
    await getServices();
  } catch (error) {
    console.error(`\nThe web app could not start: ${(error as Error).message}`);
    process.exit(1);
  }
}

await start();
