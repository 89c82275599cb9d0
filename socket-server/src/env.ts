import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { loadDevSecrets, type DevSecrets } from "./dev-secrets.js";
import { LOG_LEVELS, type LogLevel } from "./logger.js";
import { webhookKey } from "./webhook-signature.js";

const DEFAULT_PORT = 5003;
const DEFAULT_MAX_SOCKETS_PER_USER = 10;
// Development listens on this machine only; a deployment on every interface.
const DEFAULT_DEV_HOST = "127.0.0.1";
const DEFAULT_PRODUCTION_HOST = "0.0.0.0";
const DEFAULT_WEB_ORIGINS = ["http://localhost:3000", "http://127.0.0.1:3000"];

// RFC 7518 §3.2: an HS256 key must be at least as long as the hash (256 bits).
const MIN_JWT_SECRET_LENGTH = 32;
// Standard Webhooks recommends keys of 24 to 64 bytes.
const MIN_WEBHOOK_KEY_BYTES = 24;
// A scrape token shorter than this is guessable.
const MIN_METRICS_TOKEN_LENGTH = 16;

/** The repo-root `.env`, found from this file so the cwd does not matter (src/ and dist/ are both two levels down). */
const ROOT_ENV_FILE = new URL("../../.env", import.meta.url);
const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface Env {
  isProduction: boolean;
  port: number;
  host: string;
  /** HS256 secret the web app signs access tokens with (embedded mode). */
  authJwtSecret: string;
  /** Supabase mode: verify access tokens by this project's JWKS. */
  supabaseUrl?: string;
  /** Supabase projects still on the legacy shared JWT secret. */
  supabaseJwtSecret?: string;
  /** `whsec_…` secrets; any of them verifies a push (rotation), the web app signs with the first. */
  webhookSecrets: string[];
  /** Normalised origins (`scheme://host[:port]`) allowed by Socket.IO CORS. */
  webOrigins: string[];
  /** `redis://` or `rediss://`: set to run several instances (Socket.IO adapter, push dedupe, rate limits). */
  redisUrl?: string;
  /** pino level; unset means `info`. */
  logLevel?: LogLevel;
  /** Force (`true`) or refuse (`false`) pretty logs; unset means pretty on a TTY outside production. */
  logPretty?: boolean;
  /** When set, `GET /metrics` requires `Authorization: Bearer <token>` (always set in production). */
  metricsToken?: string;
  /** Most sockets one user may hold across every instance; the next handshake gets `too_many_connections`. */
  maxSocketsPerUser: number;
}

export interface ParseEnvOptions {
  /** The checkout's development secrets (default: `<repo root>/.data/dev-secrets.json`, made on first use). */
  devSecrets?: () => DevSecrets;
}

export interface ParsedEnv {
  env: Env;
  /** Variables that fell back to an insecure development default. */
  devDefaults: string[];
}

/** A missing or malformed environment variable. The message names the variable, never its value. */
export class EnvError extends Error {
  readonly code = "invalid_env";

  constructor(message: string) {
    super(message);
    this.name = "EnvError";
  }
}

// `FOO=` in a .env file or shell means "unset", not "empty string".
const blankToUndefined = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());

const portSchema = z
  .string()
  .trim()
  .regex(/^\d+$/, "must be a port number (1-65535)")
  .transform(Number)
  .refine((port) => port >= 1 && port <= 65535, "must be a port number (1-65535)");

function isWebhookSecret(secret: string): boolean {
  if (!secret.startsWith("whsec_")) return false;
  const base64 = secret.slice("whsec_".length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) return false;
  if (Buffer.from(base64, "base64").length < MIN_WEBHOOK_KEY_BYTES) return false;
  try {
    webhookKey(secret);
    return true;
  } catch {
    return false;
  }
}

const webhookSecretsSchema = z
  .string()
  .transform((value) => value.split(/\s+/).filter(Boolean))
  .pipe(
    z
      .array(
        z.string().refine(isWebhookSecret, `each space-separated secret must be whsec_<base64> of at least ${MIN_WEBHOOK_KEY_BYTES} bytes`),
      )
      .min(1, "must hold at least one whsec_ secret"),
  );

function toOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    const isBare = (url.pathname === "/" || url.pathname === "") && !url.search && !url.hash;
    if ((url.protocol !== "http:" && url.protocol !== "https:") || !isBare) return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

const webOriginsSchema = z
  .string()
  .transform((value, ctx) => {
    const origins: string[] = [];
    for (const item of value
      .split(",")
      .map((part) => part.trim())
      .filter(Boolean)) {
      const origin = toOrigin(item);
      if (origin) origins.push(origin);
      else ctx.addIssue({ code: "custom", message: `"${item}" is not an http(s) origin like http://localhost:3000` });
    }
    return origins;
  })
  .pipe(z.array(z.string()).min(1, "must hold at least one origin"));

function isRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "redis:" || url.protocol === "rediss:") && url.hostname !== "";
  } catch {
    return false;
  }
}

// IMPORTANT: the message never echoes the value, which may carry a password.
const redisUrlSchema = z.string().trim().refine(isRedisUrl, "must be a redis:// or rediss:// URL with a host");

const booleanFlagSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(["1", "0", "true", "false", "yes", "no", "on", "off"], "must be 1 or 0 (true/false)"))
  .transform((value) => ["1", "true", "yes", "on"].includes(value));

const envSchema = z.object({
  NODE_ENV: optional(z.string()),
  SOCKET_PORT: optional(portSchema),
  SOCKET_HOST: optional(z.string().trim()),
  // Both processes' listen address in development; SOCKET_HOST wins for this one.
  HOST: optional(z.string().trim()),
  AUTH_JWT_SECRET: optional(z.string().min(MIN_JWT_SECRET_LENGTH, `must be at least ${MIN_JWT_SECRET_LENGTH} characters`)),
  WEBHOOK_SECRET: optional(webhookSecretsSchema),
  SUPABASE_URL: optional(z.url({ protocol: /^https?$/, error: "must be an http(s) URL like https://<ref>.supabase.co" })),
  SUPABASE_JWT_SECRET: optional(z.string().min(MIN_JWT_SECRET_LENGTH, `must be at least ${MIN_JWT_SECRET_LENGTH} characters`)),
  WEB_ORIGIN: optional(webOriginsSchema),
  REDIS_URL: optional(redisUrlSchema),
  LOG_LEVEL: optional(
    z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(", ")}`)),
  ),
  LOG_PRETTY: optional(booleanFlagSchema),
  SOCKET_MAX_PER_USER: optional(
    z
      .string()
      .trim()
      .regex(/^\d+$/, "must be a whole number from 1 to 1000")
      .transform(Number)
      .refine((count) => count >= 1 && count <= 1000, "must be a whole number from 1 to 1000"),
  ),
  METRICS_TOKEN: optional(z.string().trim().min(MIN_METRICS_TOKEN_LENGTH, `must be at least ${MIN_METRICS_TOKEN_LENGTH} characters`)),
});

/**
 * Validates an environment (usually `process.env`) and applies defaults.
 * Reads nothing but `source`, except the development secrets file when a secret is unset
 * outside production (tests pass `devSecrets`).
 * @throws EnvError naming every bad variable.
 */
export function parseEnv(
  source: Record<string, string | undefined>,
  { devSecrets = () => loadDevSecrets(REPO_ROOT) }: ParseEnvOptions = {},
): ParsedEnv {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${String(issue.path[0])}: ${issue.message}`);
    throw new EnvError(`Invalid environment variables:\n${lines.join("\n")}`);
  }

  const vars = parsed.data;
  const isProduction = vars.NODE_ENV === "production";

  if (isProduction) {
    const problems: string[] = [];
    // In Supabase mode Supabase signs the tokens; AUTH_JWT_SECRET is the embedded mode's.
    if (!vars.AUTH_JWT_SECRET && !vars.SUPABASE_URL) problems.push("  AUTH_JWT_SECRET: is required in production (or SUPABASE_URL)");
    if (!vars.WEBHOOK_SECRET) problems.push("  WEBHOOK_SECRET: is required in production");
    // An open /metrics shows who is connected and how busy the server is.
    if (!vars.METRICS_TOKEN) problems.push("  METRICS_TOKEN: is required in production (it protects GET /metrics)");
    if (problems.length > 0) {
      throw new EnvError(`Invalid environment variables:\n${problems.join("\n")}`);
    }
  }

  const devDefaults: string[] = [];
  const needsJwtSecret = !vars.AUTH_JWT_SECRET && !vars.SUPABASE_URL;
  if (needsJwtSecret) devDefaults.push("AUTH_JWT_SECRET");
  if (!vars.WEBHOOK_SECRET) devDefaults.push("WEBHOOK_SECRET");
  // Only read (or made) when something is missing; never in production (checked above).
  let dev: DevSecrets | undefined;
  try {
    dev = devDefaults.length > 0 ? devSecrets() : undefined;
  } catch (error) {
    throw new EnvError(`Development secrets for ${devDefaults.join(", ")}: ${(error as Error).message}`);
  }

  return {
    env: {
      isProduction,
      port: vars.SOCKET_PORT ?? DEFAULT_PORT,
      host: vars.SOCKET_HOST || vars.HOST || (isProduction ? DEFAULT_PRODUCTION_HOST : DEFAULT_DEV_HOST),
      // Supabase mode without AUTH_JWT_SECRET verifies by JWKS; this one is never used there.
      authJwtSecret: vars.AUTH_JWT_SECRET ?? dev?.authJwtSecret ?? "",
      webhookSecrets: vars.WEBHOOK_SECRET ?? [dev!.webhookSecret],
      webOrigins: vars.WEB_ORIGIN ?? [...DEFAULT_WEB_ORIGINS],
      maxSocketsPerUser: vars.SOCKET_MAX_PER_USER ?? DEFAULT_MAX_SOCKETS_PER_USER,
      // Optional settings stay absent when unset; their consumers own the defaults.
      ...(vars.REDIS_URL !== undefined && { redisUrl: vars.REDIS_URL }),
      ...(vars.SUPABASE_URL !== undefined && { supabaseUrl: vars.SUPABASE_URL }),
      ...(vars.SUPABASE_JWT_SECRET !== undefined && { supabaseJwtSecret: vars.SUPABASE_JWT_SECRET }),
      ...(vars.LOG_LEVEL !== undefined && { logLevel: vars.LOG_LEVEL }),
      ...(vars.LOG_PRETTY !== undefined && { logPretty: vars.LOG_PRETTY }),
      ...(vars.METRICS_TOKEN !== undefined && { metricsToken: vars.METRICS_TOKEN }),
    },
    devDefaults,
  };
}

/**
 * Loads the repo-root `.env` (if present) into `process.env` without overriding
 * variables that are already set.
 */
export function loadEnvFile(path: URL | string = ROOT_ENV_FILE): void {
  // process.loadEnvFile arrived in Node 20.12; engines allows 20.9.
  if (!existsSync(path) || typeof process.loadEnvFile !== "function") return;
  const before = { ...process.env };
  process.loadEnvFile(path);
  // IMPORTANT: Node 20.20 and 22 keep variables that are already set, but restore
  // them anyway so no Node version can let .env beat the real environment.
  for (const [name, value] of Object.entries(before)) process.env[name] = value;
}
