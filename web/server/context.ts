import "server-only";
import { after } from "next/server";
import { getEnv, type Env } from "@/lib/env";
import { createServerClient } from "@/lib/supabase/server";
import { createEmbeddedAuth } from "@/server/auth/embedded-auth";
import type { AuthProvider, CookieJar } from "@/server/auth/types";
import { createDevMailbox } from "@/server/mail/dev-mailbox";
import { createSmtpMailer } from "@/server/mail/smtp";
import type { DevMailbox, Mailer } from "@/server/mail/types";
import { logger } from "@/server/logger";
import { createWebhookPush, type RealtimePush } from "@/server/realtime/push";
import { openEmbeddedDatabase } from "@/server/store/pglite";
import { openPostgres } from "@/server/store/postgres";
import { createSqlChatStore } from "@/server/store/sql-chat-store";
import type { SqlClient } from "@/server/store/sql/client";
import type { ChatStore } from "@/server/store/types";
import { createRateLimits, type RateLimits } from "@/server/rate-limit";
import { createClient as createRedisClient } from "redis";
import { createSupabaseAuth } from "@/server/supabase/supabase-auth";
import { createSupabaseChatStore } from "@/server/supabase/supabase-chat-store";

/**
 * The composition root: the one place that reads the env and picks an adapter per concern.
 * Everything above it (services, routes, pages) is the same in every mode.
 */

/** What lives as long as the process. */
export interface AppServices {
  env: Env;
  push: RealtimePush;
  limits: RateLimits;
  /** Pings each dependency: "ok" or what went wrong. */
  ping(): Promise<Record<string, string>>;
  close(): Promise<void>;
  /** Own database and magic-link issuer; null in Supabase mode. */
  local: { db: SqlClient; store: ChatStore; mailer: Mailer } | null;
  /** Only in development with the embedded issuer. */
  devMailbox: DevMailbox | null;
}

/** What one request uses: bound to its cookies (Supabase queries run with the user's JWT). */
export interface RequestServices {
  auth: AuthProvider;
  store: ChatStore;
  push: RealtimePush;
  limits: RateLimits;
}

/** Runs `task` after the response (Next.js `after`); outside a request (tests, scripts) right away. */
function defer(task: () => Promise<void>): void {
  try {
    after(task);
  } catch {
    void task();
  }
}

const log = (line: string) => logger.info(line);

async function buildServices(): Promise<AppServices> {
  const env = getEnv();
  const push = createWebhookPush({
    url: env.socketServerUrl,
    secret: env.webhookSecrets[0]!,
    defer,
    log: (line) => logger.warn(line),
  });
  let redis: ReturnType<typeof createRedisClient> | undefined;
  if (env.redisUrl) {
    redis = createRedisClient({ url: env.redisUrl });
    // Errors are logged, not thrown: the limiters fall back to memory while Redis is away.
    redis.on("error", (error: Error) => logger.error({ err: error.message }, "redis error"));
    await redis.connect();
  }
  const limits = createRateLimits(env.rateLimits, redis);
  const closeRedis = async () => {
    await redis?.quit().catch(() => {});
  };
  const pingRedis = async (): Promise<Record<string, string>> =>
    redis ? { redis: await withTimeout(redis.ping()).then(() => "ok", (error: Error) => error.message) } : {};
  if (env.supabase) {
    const pingSupabase = () =>
      withTimeout(fetch(`${env.supabase!.url}/auth/v1/health`, { headers: { apikey: env.supabase!.publishableKey } })).then(
        (response) => (response.ok ? "ok" : `HTTP ${response.status}`),
        (error: Error) => error.message,
      );
    return {
      env,
      push,
      limits,
      local: null,
      devMailbox: null,
      ping: async () => ({ supabase: await pingSupabase(), ...(await pingRedis()) }),
      close: closeRedis,
    };
  }

  const db = env.databaseUrl
    ? await openPostgres({ connectionString: env.databaseUrl, migrationsDir: env.migrationsDir, max: env.databasePoolSize, log })
    : await openEmbeddedDatabase({ dataDir: env.dataDir, migrationsDir: env.migrationsDir, log });
  const devMailbox = env.devMailbox ? createDevMailbox(db, log) : null;
  const mailer = env.smtpUrl ? createSmtpMailer(env.smtpUrl, env.mailFrom) : devMailbox;
  if (!mailer) throw new Error("No way to send mail: set SMTP_URL, or DEV_MAILBOX=on outside production.");
  return {
    env,
    push,
    limits,
    // The SQL enforces the same send limit as the app (see enforce_send_limit in the migrations).
    local: { db, store: createSqlChatStore(db, { sendLimit: env.rateLimits.sendPerUser }), mailer },
    devMailbox,
    ping: async () => ({
      database: await withTimeout(db.query("select 1")).then(() => "ok", (error: Error) => error.message),
      ...(await pingRedis()),
    }),
    async close() {
      await closeRedis();
      await db.close();
    },
  };
}

// IMPORTANT: kept on globalThis so that dev-mode hot reloads reuse the one open database
// (a second PGlite on the same folder would lose data).
const globalForServices = globalThis as unknown as { __chatServices?: Promise<AppServices> };

export function getServices(): Promise<AppServices> {
  globalForServices.__chatServices ??= buildServices().catch((error: unknown) => {
    globalForServices.__chatServices = undefined;
    throw error;
  });
  return globalForServices.__chatServices;
}

/** The adapters for one request, bound to its cookies. */
export async function getRequestServices(cookies: CookieJar, { ip }: { ip?: string } = {}): Promise<RequestServices> {
  const { env, push, local, limits } = await getServices();
  if (!local) {
    const supabase = createServerClient(env.supabase!, cookies, { ip });
    return { auth: createSupabaseAuth(supabase, { appUrl: env.appUrl }), store: createSupabaseChatStore(supabase), push, limits };
  }
  const auth = createEmbeddedAuth({
    db: local.db,
    mailer: local.mailer,
    cookies,
    config: {
      appUrl: env.appUrl,
      jwtSecret: env.jwtSecret,
      accessTokenTtlSeconds: env.accessTokenTtlSeconds,
      sessionTtlDays: env.sessionTtlDays,
      secureCookies: env.isProduction,
    },
  });
  return { auth, store: local.store, push, limits };
}

function withTimeout<T>(promise: Promise<T>, ms = 2_000): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timed out")), ms))]);
}

/** Each dependency's state, for /readyz. */
export async function checkReadiness(): Promise<Record<string, string>> {
  try {
    return await (await getServices()).ping();
  } catch (error) {
    return { startup: (error as Error).message };
  }
}

/** Closes the database (graceful shutdown, tests). */
export async function closeServices(): Promise<void> {
  const pending = globalForServices.__chatServices;
  globalForServices.__chatServices = undefined;
  const services = await pending?.catch(() => undefined);
  await services?.close();
}
