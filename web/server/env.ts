import "server-only";
import path from "node:path";
import fs from "node:fs";
import { z } from "zod";
import { loadDevSecrets, type DevSecrets } from "socket-server/dev-secrets";
import { ATTACHMENT_MAX_BYTES_DEFAULT } from "@/lib/limits";
import type { RateLimitRules } from "@/server/rate-limit";

/**
 * The web app's configuration, validated once at start-up.
 * IMPORTANT: read settings through `getEnv()`, never through `process.env` directly.
 */

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

/** "points/seconds", e.g. "1/60": one per minute. */
const rateRule = (fallback: string) =>
  optionalString
    .transform((value) => value ?? fallback)
    .pipe(z.string().regex(/^[1-9]\d{0,6}\/[1-9]\d{0,6}$/, 'must be "points/seconds", e.g. 1/60'))
    .transform((value) => {
      const [points, durationSeconds] = value.split("/").map(Number) as [number, number];
      return { points, durationSeconds };
    });

const urlString = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  APP_URL: optionalString.pipe(urlString.optional()),
  DATA_DIR: optionalString,
  DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// URL" }).optional()),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  AUTH_JWT_SECRET: optionalString.pipe(z.string().min(32, "must be at least 32 characters").optional()),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  SESSION_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  WEBHOOK_SECRET: optionalString.pipe(
    z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/=]+( +whsec_[A-Za-z0-9+/=]+)*$/, "must be whsec_<base64>, space-separated")
      .optional(),
  ),
  SOCKET_SERVER_URL: optionalString.pipe(urlString.optional()),
  SOCKET_PUBLIC_URL: optionalString.pipe(urlString.optional()),
  SMTP_URL: optionalString.pipe(z.url({ protocol: /^smtps?$/, error: "must be an smtp:// or smtps:// URL" }).optional()),
  MAIL_FROM: optionalString,
  DEV_MAILBOX: z.enum(["on", "off"]).optional(),
  // How many proxies in front of the app append to X-Forwarded-For (0: clients connect directly).
  TRUST_PROXY_HOPS: optionalString
    .pipe(z.string().regex(/^\d+$/, "must be a whole number of proxies (0-10)").optional())
    .transform((value) => (value === undefined ? undefined : Number(value)))
    .pipe(z.number().max(10, "must be a whole number of proxies (0-10)").optional()),
  // The listen address of `npm run dev` (the dev script passes it to `next dev -H`).
  HOST: optionalString.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9.:\-[\]]+$/, "must be a host name or an IP address")
      .optional(),
  ),
  METRICS_TOKEN: optionalString.pipe(z.string().min(16, "must be at least 16 characters").optional()),
  MIGRATIONS_DIR: optionalString,
  REDIS_URL: optionalString.pipe(z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" }).optional()),
  RATE_LIMIT_LOGIN_EMAIL: rateRule("1/60"),
  RATE_LIMIT_LOGIN_IP: rateRule("20/600"),
  RATE_LIMIT_SEND: rateRule("60/10"),
  RATE_LIMIT_USERS: rateRule("30/60"),
  GROUP_MAX_MEMBERS: z.coerce.number().int().min(3).max(10_000).default(100),
  // Attachments (see README → Attachments): bytes per file, bytes per user, uploads per user.
  ATTACHMENT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(5 * 1024 ** 3)
    .default(ATTACHMENT_MAX_BYTES_DEFAULT),
  ATTACHMENT_QUOTA_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1024 ** 5)
    .default(1024 ** 3),
  RATE_LIMIT_ATTACHMENTS: rateRule("30/60"),
  RATE_LIMIT_MESSAGE_ACTIONS: rateRule("120/60"),
  RATE_LIMIT_SEARCH: rateRule("30/60"),
  EDIT_WINDOW_SECONDS: z.coerce.number().int().min(0).max(100_000_000).default(86_400),
  NEXT_PUBLIC_SUPABASE_URL: optionalString.pipe(urlString.optional()),
  NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: optionalString,
  // The older name of the same public key.
  NEXT_PUBLIC_SUPABASE_ANON_KEY: optionalString,
  // Push outbox (see README → What happens to a message).
  CRON_SECRET: optionalString.pipe(z.string().min(16, "must be at least 16 characters").optional()),
  PUSH_BATCH_MAX: z.coerce.number().int().min(1).max(500).default(100),
  PUSH_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(1_000).default(0),
  PUSH_OUTBOX_MAX_AGE_HOURS: z.coerce.number().min(1).max(720).default(24),
  SUPABASE_SERVICE_ROLE_KEY: optionalString,
  // Benchmarks only: "off" is the old direct push after the response, without the outbox's guarantees.
  PUSH_OUTBOX: z.enum(["on", "off"]).default("on"),
});

export interface Env {
  nodeEnv: "development" | "production" | "test";
  isProduction: boolean;
  appUrl: string;
  dataDir: string;
  /** Any Postgres instead of the embedded one. */
  databaseUrl: string | undefined;
  databasePoolSize: number;
  migrationsDir: string;
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  sessionTtlDays: number;
  /** Secrets for pushes; the first one signs. */
  webhookSecrets: string[];
  socketServerUrl: string;
  socketPublicUrl: string;
  smtpUrl: string | undefined;
  mailFrom: string;
  devMailbox: boolean;
  /** Proxies whose X-Forwarded-For entries are trusted for the client's address (see `clientIp`). */
  trustProxyHops: number;
  /** Bearer token for /api/metrics; always set in production. */
  metricsToken: string | undefined;
  /** Shared state for rate limits (and, in the socket server, the Socket.IO adapter). */
  redisUrl: string | undefined;
  rateLimits: RateLimitRules;
  /** Most members of a group, its creator included (the SQL enforces it: 422 group_too_large). */
  groupMaxMembers: number;
  attachments: {
    /** Largest file (413 attachment_too_large). */
    maxBytes: number;
    /** Bytes one user's attachments may hold in all (413 quota_exceeded). */
    quotaBytes: number;
  };
  /** How long a sender may edit a message after sending it (the SQL enforces it: 422 edit_window_closed). */
  editWindowSeconds: number;
  /** Set: auth and data go through Supabase, and nothing of the embedded mode is used. */
  supabase: { url: string; publishableKey: string } | undefined;
  push: {
    /** Bearer token of the sweep route (/api/cron/push-outbox); unset: the route refuses every call. */
    cronSecret: string | undefined;
    batchMax: number;
    batchWaitMs: number;
    maxAgeSeconds: number;
    /** Supabase mode: lets the sweep claim every user's rows (nothing else uses it). */
    serviceRoleKey: string | undefined;
    outbox: boolean;
  };
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The folder holding supabase/migrations: the repo root, wherever the process was started from. */
export function findRepoRoot(start = process.cwd()): string {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, "supabase", "migrations"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start);
    dir = parent;
  }
}

export interface ParseEnvOptions {
  /** The checkout's development secrets (default: `<repo root>/.data/dev-secrets.json`, made on first use). */
  devSecrets?: () => DevSecrets;
}

export function parseEnv(
  source: Record<string, string | undefined> = process.env,
  { devSecrets = () => loadDevSecrets(findRepoRoot()) }: ParseEnvOptions = {},
): Env {
  const result = schema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join(".") || "(env)"}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const raw = result.data;
  const isProduction = raw.NODE_ENV === "production";
  const defaulted: string[] = [];
  let dev: DevSecrets | undefined;
  const devSecret = (name: "AUTH_JWT_SECRET" | "WEBHOOK_SECRET"): string => {
    if (isProduction) throw new ConfigError(`Invalid configuration:\n  ${name}: is required in production`);
    defaulted.push(name);
    try {
      dev ??= devSecrets();
    } catch (error) {
      throw new ConfigError(`Invalid configuration:\n  ${name}: unset, and the development secrets failed: ${(error as Error).message}`);
    }
    return name === "AUTH_JWT_SECRET" ? dev.authJwtSecret : dev.webhookSecret;
  };
  const required = (name: keyof typeof raw, value: string | undefined, devDefault: string): string => {
    if (value) return value;
    if (isProduction) throw new ConfigError(`Invalid configuration:\n  ${name}: is required in production`);
    defaulted.push(name);
    return devDefault;
  };

  // Supabase mode: Supabase signs the tokens, so this secret is unused there.
  const jwtSecret = raw.AUTH_JWT_SECRET ?? (raw.NEXT_PUBLIC_SUPABASE_URL ? "" : devSecret("AUTH_JWT_SECRET"));
  const webhookSecrets = (raw.WEBHOOK_SECRET ?? devSecret("WEBHOOK_SECRET")).split(/ +/);
  if (isProduction && !raw.METRICS_TOKEN) {
    throw new ConfigError("Invalid configuration:\n  METRICS_TOKEN: is required in production (it protects /api/metrics)");
  }
  const appUrl = required("APP_URL", raw.APP_URL, "http://localhost:3000").replace(/\/+$/, "");
  const supabaseKey = raw.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY ?? raw.NEXT_PUBLIC_SUPABASE_ANON_KEY;
  if (Boolean(raw.NEXT_PUBLIC_SUPABASE_URL) !== Boolean(supabaseKey)) {
    throw new ConfigError(
      "Invalid configuration:\n  NEXT_PUBLIC_SUPABASE_URL and NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY (or NEXT_PUBLIC_SUPABASE_ANON_KEY): set both or neither",
    );
  }
  const supabase =
    raw.NEXT_PUBLIC_SUPABASE_URL && supabaseKey
      ? { url: raw.NEXT_PUBLIC_SUPABASE_URL.replace(/\/+$/, ""), publishableKey: supabaseKey }
      : undefined;
  // Supabase sends its own mail; the embedded issuer needs SMTP in production.
  const devMailbox = !supabase && (raw.DEV_MAILBOX ? raw.DEV_MAILBOX === "on" : !isProduction);
  if (isProduction && raw.DEV_MAILBOX === "on") throw new ConfigError("Invalid configuration:\n  DEV_MAILBOX: cannot be on in production");
  if (isProduction && !supabase && !raw.SMTP_URL) {
    throw new ConfigError("Invalid configuration:\n  SMTP_URL: is required in production (the dev mailbox is off)");
  }
  const root = findRepoRoot();
  if (defaulted.length > 0 && source === process.env) {
    console.warn(`\u26a0  Development defaults in use for ${defaulted.join(", ")}. Never deploy like this: set them (see .env.example).`);
  }
  return {
    nodeEnv: raw.NODE_ENV,
    isProduction,
    appUrl,
    dataDir: path.resolve(root, raw.DATA_DIR ?? ".data"),
    databaseUrl: raw.DATABASE_URL,
    databasePoolSize: raw.DATABASE_POOL_SIZE,
    migrationsDir: path.resolve(root, raw.MIGRATIONS_DIR ?? "supabase/migrations"),
    jwtSecret,
    accessTokenTtlSeconds: raw.ACCESS_TOKEN_TTL_SECONDS,
    sessionTtlDays: raw.SESSION_TTL_DAYS,
    webhookSecrets,
    socketServerUrl: (raw.SOCKET_SERVER_URL ?? "http://127.0.0.1:5003").replace(/\/+$/, ""),
    socketPublicUrl: (raw.SOCKET_PUBLIC_URL ?? "http://localhost:5003").replace(/\/+$/, ""),
    smtpUrl: raw.SMTP_URL,
    mailFrom: raw.MAIL_FROM ?? "Chat <no-reply@localhost>",
    devMailbox,
    trustProxyHops: raw.TRUST_PROXY_HOPS ?? 0,
    metricsToken: raw.METRICS_TOKEN,
    supabase,
    redisUrl: raw.REDIS_URL,
    push: {
      cronSecret: raw.CRON_SECRET,
      batchMax: raw.PUSH_BATCH_MAX,
      batchWaitMs: raw.PUSH_BATCH_WAIT_MS,
      maxAgeSeconds: Math.round(raw.PUSH_OUTBOX_MAX_AGE_HOURS * 3600),
      serviceRoleKey: raw.SUPABASE_SERVICE_ROLE_KEY,
      outbox: raw.PUSH_OUTBOX === "on",
    },
    groupMaxMembers: raw.GROUP_MAX_MEMBERS,
    attachments: { maxBytes: raw.ATTACHMENT_MAX_BYTES, quotaBytes: raw.ATTACHMENT_QUOTA_BYTES },
    editWindowSeconds: raw.EDIT_WINDOW_SECONDS,
    rateLimits: {
      loginPerEmail: raw.RATE_LIMIT_LOGIN_EMAIL,
      loginPerIp: raw.RATE_LIMIT_LOGIN_IP,
      sendPerUser: raw.RATE_LIMIT_SEND,
      usersSearch: raw.RATE_LIMIT_USERS,
      attachmentUploads: raw.RATE_LIMIT_ATTACHMENTS,
      messageActions: raw.RATE_LIMIT_MESSAGE_ACTIONS,
      messageSearch: raw.RATE_LIMIT_SEARCH,
    },
  };
}

const globalForEnv = globalThis as unknown as { __chatEnv?: Env };

/** The validated env, parsed on first use and cached for the process. */
export function getEnv(): Env {
  globalForEnv.__chatEnv ??= parseEnv();
  return globalForEnv.__chatEnv;
}
