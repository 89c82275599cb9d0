import { createApp } from "./app.js";
import { createHs256Verifier, createSupabaseVerifier } from "./auth.js";
import { EnvError, loadEnvFile, parseEnv, type ParsedEnv } from "./env.js";
import { createLogger } from "./logger.js";
import { createRedisBackend, redisAppDeps } from "./redis.js";
import { createMemorySeenIdStore } from "./webhook.js";

// Composition root: the only place that reads env and picks adapters.
let parsed: ParsedEnv;
try {
  loadEnvFile();
  parsed = parseEnv(process.env);
} catch (error) {
  if (!(error instanceof EnvError)) throw error;
  console.error(`[socket-server] ${error.message}`);
  process.exit(1);
}
const { env, devDefaults } = parsed;

// `npm run dev` runs us under concurrently, whose pipe is not a TTY but is read by a person.
const isInteractive = process.stdout.isTTY === true || process.env.npm_lifecycle_event === "dev";
const logger = createLogger({ level: env.logLevel, pretty: env.logPretty ?? (!env.isProduction && isInteractive) });
if (devDefaults.length > 0) {
  logger.warn(`using INSECURE development defaults for ${devDefaults.join(", ")}. Set them before deploying.`);
}

// Several instances share Redis; one instance keeps everything in memory.
const redisUrl = env.redisUrl;
const redis = redisUrl ? createRedisBackend({ url: redisUrl, logger }) : undefined;
// The host only: the URL may carry a password.
if (redisUrl) logger.info("scaling out with Redis", { host: new URL(redisUrl).host });

// Without Redis: in-memory adapter, dedupe and rate limits (createApp's defaults).
const backend = redis ? redisAppDeps(redis) : { seenIds: createMemorySeenIdStore() };

const app = createApp({
  config: env,
  verifier: env.supabaseUrl ? createSupabaseVerifier(env.supabaseUrl, env.supabaseJwtSecret) : createHs256Verifier(env.authJwtSecret),
  logger,
  ...backend,
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

// The deploy files' stop timeouts (systemd TimeoutStopSec, Docker stop -t) sit above this.
const SHUTDOWN_GRACE_MS = 10_000;
// In-flight pushes get most of the grace period; closing sockets and Redis the rest.
const PUSH_DRAIN_MS = SHUTDOWN_GRACE_MS - 2_000;

function shutdown(signal: NodeJS.Signals): void {
  logger.info("shutting down", { signal });
  // A hung request must not keep the process alive forever. A second Ctrl-C also exits at once.
  setTimeout(() => {
    logger.error("shutdown timed out; exiting", { graceMs: SHUTDOWN_GRACE_MS });
    process.exit(1);
  }, SHUTDOWN_GRACE_MS).unref();
  app.shutdown({ graceMs: PUSH_DRAIN_MS }).then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error("shutdown failed", { error: error instanceof Error ? error.message : String(error) });
      process.exit(1);
    },
  );
}

process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
