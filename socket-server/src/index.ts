import { createApp } from "./app.js";
import { createHs256Verifier } from "./auth.js";
import { EnvError, loadEnv, type Env } from "./env.js";
import { consoleLogger as logger } from "./logger.js";
import { createMemorySeenIdStore } from "./webhook.js";

// Composition root: the only place that reads env and picks adapters.
let env: Env;
try {
  env = loadEnv();
} catch (error) {
  if (!(error instanceof EnvError)) throw error;
  console.error(`[socket-server] ${error.message}`);
  process.exit(1);
}

const app = createApp({
  config: env,
  verifier: createHs256Verifier(env.authJwtSecret),
  seenIds: createMemorySeenIdStore(),
  logger,
});

app.httpServer.once("error", (error) => {
  logger.error("could not listen", { host: env.host, port: env.port, error: error.message });
  process.exit(1);
});
app.httpServer.listen(env.port, env.host, () => {
  const address = app.httpServer.address();
  const port = typeof address === "object" && address ? address.port : env.port;
  logger.info("listening", { url: `http://${env.host}:${port}` });
});

const SHUTDOWN_GRACE_MS = 10_000;

function shutdown(signal: NodeJS.Signals): void {
  logger.info("shutting down", { signal });
  // A hung request must not keep the process alive forever.
  setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
  void app.close();
}

process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
