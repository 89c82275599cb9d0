import pino, { type Logger } from "pino";
import pretty from "pino-pretty";

/**
 * Structured JSON logs (one object per line) in production; readable lines in development.
 * IMPORTANT: never log tokens, cookies, signatures or message contents.
 */
function createLogger(): Logger {
  const level = process.env.LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "warn" : "info");
  const wantPretty = process.env.LOG_PRETTY ? process.env.LOG_PRETTY === "1" : process.env.NODE_ENV !== "production";
  const options = { level, base: { service: "web" }, redact: ["req.headers.cookie", "req.headers.authorization"] };
  // A synchronous pretty stream, not a transport: transports run in worker threads, which
  // bundlers and serverless platforms handle badly.
  return wantPretty ? pino(options, pretty({ colorize: true, ignore: "pid,hostname,service", sync: true })) : pino(options);
}

const globalForLogger = globalThis as unknown as { __chatLogger?: Logger };
export const logger: Logger = (globalForLogger.__chatLogger ??= createLogger());
