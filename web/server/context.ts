import "server-only";
import { after } from "next/server";
import { getEnv, type Env } from "@/server/env";
import { createEmbeddedAuth } from "@/server/auth/embedded-auth";
import { createSessionCache, type SessionCache } from "@/server/auth/session-cache";
import type { AuthProvider, CookieJar } from "@/server/auth/types";
import { createDevMailbox } from "@/server/mail/dev-mailbox";
import { createSmtpMailer } from "@/server/mail/smtp";
import type { DevMailbox, Mailer } from "@/server/mail/types";
import { logger } from "@/server/logger";
import { createOutboxPush, createWebhookPush, type RealtimePush } from "@/server/realtime/push";
import {
  createOutboxDispatcher,
  createPushSender,
  createSqlOutboxSource,
  createSupabaseOutboxSource,
  type OutboxDispatcher,
  type PushSender,
} from "@/server/realtime/outbox";
import { outboxCounter } from "@/server/realtime/outbox-metrics";
import { createTableMaintenance } from "@/server/store/maintenance";
import { openEmbeddedDatabase } from "@/server/store/pglite";
import { openPostgres } from "@/server/store/postgres";
import { createSqlChatStore } from "@/server/store/sql-chat-store";
import type { SqlClient } from "@/server/store/sql/client";
import type { ChatStore } from "@/server/store/types";
import { createRateLimits, type RateLimits } from "@/server/rate-limit";
import { captureContext, type RunInContext } from "@/server/async-context";
import type { createClient as createRedisClient } from "redis";
import path from "node:path";
import {
  createAttachmentSweeper,
  createSqlAttachmentSweepSource,
  createSupabaseAttachmentSweepSource,
  type AttachmentSweeper,
} from "@/server/attachments/sweep";
import { createDiskStorage } from "@/server/storage/disk-storage";
import { createSupabaseStorage } from "@/server/storage/supabase-storage";
// Types only: the module itself is imported when Supabase is configured (see buildServices).
import type * as SupabaseAdapters from "@/server/supabase/adapters";
import type { FileStorage } from "@/server/storage/types";

/**
 * The composition root: the one place that reads the env and picks an adapter per concern.
 * Everything above it (services, routes, pages) is the same in every mode.
 */

/** What lives as long as the process. */
export interface AppServices {
  env: Env;
  /** What per-request dispatchers share. */
  outbox: { sender: PushSender; sourceOptions: { leaseSeconds: number; maxAgeSeconds: number }; defer: Defer };
  push: RealtimePush;
  limits: RateLimits;
  /** Pings each dependency: "ok" or what went wrong. */
  ping(): Promise<Record<string, string>>;
  close(): Promise<void>;
  /** Supabase's clients and adapters; null in the other modes, which never load them. */
  supabase: typeof SupabaseAdapters | null;
  /** Own database and magic-link issuer; null in Supabase mode. */
  local: { db: SqlClient; store: ChatStore; storage: FileStorage; mailer: Mailer; sessions: SessionCache } | null;
  /** Only in development with the embedded issuer. */
  devMailbox: DevMailbox | null;
  /**
   * Sends every user's due pushes (the cron route, the periodic sweep); null when this mode
   * has no privileged path (Supabase without SUPABASE_SERVICE_ROLE_KEY) or the outbox is off.
   */
  sweeper: OutboxDispatcher | null;
  /** Removes unsent uploads after 24 h and deleted messages' files; null without a privileged path (as `sweeper`). */
  attachmentSweeper: AttachmentSweeper | null;
}

/** What one request uses: bound to its cookies (Supabase queries run with the user's JWT). */
export interface RequestServices {
  auth: AuthProvider;
  store: ChatStore;
  push: RealtimePush;
  limits: RateLimits;
  /** Attachments' bytes (disk, or Supabase Storage as the user). */
  storage: FileStorage;
  attachmentMaxBytes: number;
}

/** Runs a task after the response (Next.js `after`); outside a request (tests, scripts) right away. */
export type Defer = (task: () => Promise<void>) => void;

/** A `Defer` whose tasks run in `context` (see server/async-context.ts: not in the request's). */
export function createDefer(context: RunInContext): Defer {
  return (task) => {
    const detached = () => context(task);
    try {
      after(detached);
    } catch {
      void detached();
    }
  };
}

const log = (line: string) => logger.info(line);

// A lease outlives a send with its timeout (5 s), so two dispatchers never hold one row at once.
const LEASE_SECONDS = 15;
// Long-lived processes sweep this often; serverless relies on after() and the cron route.
const SWEEP_INTERVAL_MS = 5_000;
// Unsent uploads and deleted messages' files; serverless relies on the cron route.
const ATTACHMENT_SWEEP_INTERVAL_MS = 10 * 60_000;
/** Vacuum and analyze passes over the embedded database (server/store/maintenance.ts). */
const MAINTENANCE_INTERVAL_MS = 5 * 60_000;

function createDispatcher(env: Env, source: Parameters<typeof createOutboxDispatcher>[0]["source"], sender: PushSender) {
  return createOutboxDispatcher({
    source,
    sender,
    batchMax: env.push.batchMax,
    batchWaitMs: env.push.batchWaitMs,
    log: (line) => logger.warn(line),
    count: (result, n) => outboxCounter.inc({ result }, n),
  });
}

async function buildServices(): Promise<AppServices> {
  const env = getEnv();
  // Pushes run in the context the services are built in: start-up, not the request.
  const defer = createDefer(captureContext());
  const sourceOptions = { leaseSeconds: LEASE_SECONDS, maxAgeSeconds: env.push.maxAgeSeconds };
  const sender = createPushSender({
    url: env.socketServerUrl,
    secret: env.webhookSecrets[0]!,
    batchMax: env.push.batchMax,
    log: (line) => logger.warn(line),
  });
  // Benchmarks only (PUSH_OUTBOX=off): the earlier direct push, kept as the same-run baseline.
  const directPush = env.push.outbox
    ? null
    : createWebhookPush({ url: env.socketServerUrl, secret: env.webhookSecrets[0]!, defer, log: (line) => logger.warn(line) });
  let redis: ReturnType<typeof createRedisClient> | undefined;
  if (env.redisUrl) {
    // Loaded only when configured: node-redis is ~0.9 MB of code, which every route and page
    // bundle (each keeps its own copy) would otherwise load and hold in memory.
    const { createClient } = await import("redis");
    redis = createClient({ url: env.redisUrl });
    // Errors are logged, not thrown: the limiters fall back to memory while Redis is away.
    redis.on("error", (error: Error) => logger.error({ err: error.message }, "redis error"));
    await redis.connect();
  }
  const limits = createRateLimits(env.rateLimits, redis);
  const closeRedis = async () => {
    await redis?.quit().catch(() => {});
  };
  const pingRedis = async (): Promise<Record<string, string>> =>
    redis
      ? {
          redis: await withTimeout(redis.ping()).then(
            () => "ok",
            (error: Error) => error.message,
          ),
        }
      : {};
  if (env.supabase) {
    // Loaded only in this mode, as node-redis above: ~1.3 MB of code with supabase-js and ws.
    const supabase = await import("@/server/supabase/adapters");
    // The sweep needs every user's rows: only the service role may claim them (see README).
    const serviceClient = env.push.serviceRoleKey ? supabase.createServiceClient(env.supabase.url, env.push.serviceRoleKey) : null;
    const sweeper =
      env.push.outbox && serviceClient
        ? createDispatcher(env, createSupabaseOutboxSource(serviceClient, { scope: "all", ...sourceOptions }), sender)
        : null;
    sweeper?.start(SWEEP_INTERVAL_MS);
    const attachmentSweeper = serviceClient
      ? createAttachmentSweeper({
          source: createSupabaseAttachmentSweepSource(serviceClient),
          storage: createSupabaseStorage(serviceClient),
          log: (line) => logger.warn(line),
        })
      : null;
    attachmentSweeper?.start(ATTACHMENT_SWEEP_INTERVAL_MS);
    void sweeper?.kick();
    // Per request, the push runs with the user's JWT and claims that user's own rows only.
    const push: RealtimePush = directPush ?? {
      messageCreated() {},
      messageChanged() {},
      readUpdated() {},
      conversationUpdated() {},
      sessionRevoked() {},
    };
    const pingSupabase = () =>
      withTimeout(fetch(`${env.supabase!.url}/auth/v1/health`, { headers: { apikey: env.supabase!.publishableKey } })).then(
        (response) => (response.ok ? "ok" : `HTTP ${response.status}`),
        (error: Error) => error.message,
      );
    return {
      env,
      push,
      limits,
      supabase,
      local: null,
      devMailbox: null,
      sweeper,
      attachmentSweeper,
      outbox: { sender, sourceOptions, defer },
      ping: async () => ({ supabase: await pingSupabase(), ...(await pingRedis()) }),
      async close() {
        await sweeper?.stop();
        await attachmentSweeper?.stop();
        await closeRedis();
      },
    };
  }

  const db = env.databaseUrl
    ? await openPostgres({ connectionString: env.databaseUrl, migrationsDir: env.migrationsDir, max: env.databasePoolSize, log })
    : await openEmbeddedDatabase({ dataDir: env.dataDir, migrationsDir: env.migrationsDir, log });
  const devMailbox = env.devMailbox ? createDevMailbox(db, log) : null;
  const mailer = env.smtpUrl ? createSmtpMailer(env.smtpUrl, env.mailFrom) : devMailbox;
  if (!mailer) throw new Error("No way to send mail: set SMTP_URL, or DEV_MAILBOX=on outside production.");
  // On Postgres the dispatcher has its own two connections: its claims must not queue behind
  // the sends' transactions in the main pool (that queue is where push latency would grow).
  const outboxDb =
    env.push.outbox && env.databaseUrl
      ? await openPostgres({ connectionString: env.databaseUrl, migrationsDir: env.migrationsDir, max: 2, migrateOnStart: false, log })
      : db;
  const sweeper = env.push.outbox ? createDispatcher(env, createSqlOutboxSource(outboxDb, sourceOptions), sender) : null;
  // At start: whatever a crashed or frozen process left behind leaves now.
  sweeper?.start(SWEEP_INTERVAL_MS);
  void sweeper?.kick();
  const push = directPush ?? createOutboxPush({ kick: (pushIds, pushes) => sweeper!.kick(pushIds, pushes), defer });
  const storage = createDiskStorage(path.join(env.dataDir, "attachments"));
  const attachmentSweeper = createAttachmentSweeper({
    source: createSqlAttachmentSweepSource(db),
    storage,
    log: (line) => logger.warn(line),
  });
  attachmentSweeper.start(ATTACHMENT_SWEEP_INTERVAL_MS);
  // PGlite has no autovacuum: this process does its work (a Postgres server does its own).
  const maintenance = env.databaseUrl ? null : createTableMaintenance({ db, log: (line) => logger.warn(line) });
  maintenance?.start(MAINTENANCE_INTERVAL_MS);
  return {
    env,
    push,
    limits,
    supabase: null,
    // The SQL enforces the same send limit as the app (see enforce_send_limit in the migrations).
    // Session lookups are trusted for a few seconds: the bound on a sign-out in another process (README, Performance).
    local: {
      db,
      store: createSqlChatStore(db, {
        sendLimit: env.rateLimits.sendPerUser,
        groupMaxMembers: env.groupMaxMembers,
        attachments: env.attachments,
        editWindowSeconds: env.editWindowSeconds,
      }),
      storage,
      mailer,
      sessions: createSessionCache(),
    },
    devMailbox,
    sweeper,
    attachmentSweeper,
    outbox: { sender, sourceOptions, defer },
    ping: async () => ({
      database: await withTimeout(db.query("select 1")).then(
        () => "ok",
        (error: Error) => error.message,
      ),
      ...(await pingRedis()),
    }),
    async close() {
      await sweeper?.stop();
      await attachmentSweeper.stop();
      await maintenance?.stop();
      await closeRedis();
      if (outboxDb !== db) await outboxDb.close();
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
  const { env, push, local, limits, outbox, supabase: adapters } = await getServices();
  if (!local) {
    const { createServerClient, createSupabaseAuth, createSupabaseChatStore } = adapters!;
    const supabase = createServerClient(env.supabase!, cookies, { ip });
    const auth = createSupabaseAuth(supabase, { appUrl: env.appUrl });
    const common = {
      auth,
      store: createSupabaseChatStore(supabase),
      limits,
      storage: createSupabaseStorage(supabase),
      attachmentMaxBytes: env.attachments.maxBytes,
    };
    if (!env.push.outbox) return { ...common, push };
    return { ...common, push: createSupabaseRequestPush(env, adapters!, supabase, cookies, outbox) };
  }
  const auth = createEmbeddedAuth({
    db: local.db,
    mailer: local.mailer,
    cookies,
    sessionCache: local.sessions,
    config: {
      appUrl: env.appUrl,
      jwtSecret: env.jwtSecret,
      accessTokenTtlSeconds: env.accessTokenTtlSeconds,
      sessionTtlDays: env.sessionTtlDays,
      secureCookies: env.isProduction,
    },
  });
  return { auth, store: local.store, push, limits, storage: local.storage, attachmentMaxBytes: env.attachments.maxBytes };
}

/**
 * Supabase mode: after the response, the request's own JWT claims the rows of this user's
 * changes and sends them. A sign-out is recorded here, after Supabase Auth ended the session
 * (its session store is not ours to write in), with the token it had: a crash between the two
 * loses that push, and the socket then closes when its token expires.
 */
function createSupabaseRequestPush(
  env: Env,
  { createServerClient }: typeof SupabaseAdapters,
  supabase: SupabaseServerClient,
  cookies: CookieJar,
  { sender, sourceOptions, defer }: AppServices["outbox"],
): RealtimePush {
  const dispatcherFor = (client: SupabaseServerClient) =>
    createDispatcher(env, createSupabaseOutboxSource(client, { scope: "mine", ...sourceOptions }), sender);
  const dispatcher = dispatcherFor(supabase);
  // The sign-out clears the session from `supabase`; a client on the request's own cookies still has it.
  const before = cookies.getAll();
  const signedOutClient = () =>
    createServerClient(env.supabase!, { get: (name) => before.find((c) => c.name === name)?.value, getAll: () => before, set() {} });
  let revokedDispatcher: OutboxDispatcher | undefined;
  return createOutboxPush({
    kick: (pushIds, pushes) => (revokedDispatcher ?? dispatcher).kick(pushIds, pushes),
    defer,
    async enqueueRevoked() {
      const client = signedOutClient();
      const { error } = await client.rpc("enqueue_session_revoked");
      if (error) logger.warn({ err: error.message }, "could not record the sign-out push");
      revokedDispatcher = dispatcherFor(client);
    },
  });
}

type SupabaseServerClient = ReturnType<typeof SupabaseAdapters.createServerClient>;

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
