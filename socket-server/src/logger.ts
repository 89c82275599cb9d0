import { createRequire } from "node:module";
import { pino, type DestinationStream, type Level } from "pino";

/**
 * The one logging seam. Callers pass explicit fields, so they decide exactly what
 * is logged: never tokens, cookies, signatures or message content.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Whether lines of `level` are written: hot paths skip building what would be dropped. */
  isLevelEnabled(level: Level): boolean;
}

/** Flat primitives only, so nothing large or secret rides along inside an object. */
export type LogFields = Record<string, string | number | boolean | undefined>;

export type LogLevel = Level | "silent";
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const satisfies LogLevel[];

export interface LoggerOptions {
  /** Default `info`. */
  level?: LogLevel;
  /** Human-readable lines through pino-pretty (a dev dependency) instead of JSON. */
  pretty?: boolean;
  /** Where JSON lines go (default stdout); tests pass a stream to read them. */
  destination?: DestinationStream;
}

// Belt and braces: field names that must never reach a log line even if a caller slips.
const REDACTED_FIELDS = ["token", "accessToken", "authorization", "cookie", "signature", "content", "body"];

/** Structured JSON logs (one object per line) through pino. */
export function createLogger({ level = "info", pretty = false, destination }: LoggerOptions = {}): Logger {
  const options = {
    name: "socket-server",
    level,
    redact: { paths: REDACTED_FIELDS, censor: "[redacted]" },
  };
  const usePretty = pretty && !destination && hasPinoPretty();
  const log = usePretty
    ? pino({
        ...options,
        transport: { target: "pino-pretty", options: { translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,name" } },
      })
    : destination
      ? pino(options, destination)
      : pino(options);
  if (pretty && !usePretty) log.warn("LOG_PRETTY is set but pino-pretty is not installed; logging JSON");

  return {
    debug: (message, fields) => log.debug(fields ?? {}, message),
    info: (message, fields) => log.info(fields ?? {}, message),
    warn: (message, fields) => log.warn(fields ?? {}, message),
    error: (message, fields) => log.error(fields ?? {}, message),
    isLevelEnabled: (level) => log.isLevelEnabled(level),
  };
}

/** pino-pretty is a dev dependency: a production install (`npm ci --omit=dev`) lacks it. */
function hasPinoPretty(): boolean {
  try {
    createRequire(import.meta.url).resolve("pino-pretty");
    return true;
  } catch {
    return false;
  }
}

export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  isLevelEnabled: () => false,
};
