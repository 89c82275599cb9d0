import "server-only";
import { after } from "next/server";
import { getEnv, type Env } from "@/lib/env";
import { createEmbeddedAuth } from "@/server/auth/embedded-auth";
import type { AuthProvider, CookieJar } from "@/server/auth/types";
import { createDevMailbox } from "@/server/mail/dev-mailbox";
import type { DevMailbox, Mailer } from "@/server/mail/types";
import { createSmtpMailer } from "@/server/mail/smtp";
import { createWebhookPush, type RealtimePush } from "@/server/realtime/push";
import { openEmbeddedDatabase } from "@/server/store/pglite";
import { openPostgres } from "@/server/store/postgres";
import { createSqlChatStore } from "@/server/store/sql-chat-store";
import type { SqlClient } from "@/server/store/sql/client";
import type { ChatStore } from "@/server/store/types";

/**
 * The composition root: the one place that reads the env and picks an adapter per concern.
 * Everything above it (services, routes, pages) is the same in every mode.
 */
export interface AppServices {
  env: Env;
  db: SqlClient;
  store: ChatStore;
  mailer: Mailer;
  /** Only in development with the embedded issuer. */
  devMailbox: DevMailbox | null;
  push: RealtimePush;
}

/** Runs `task` after the response (Next.js `after`); outside a request (tests, scripts) right away. */
function defer(task: () => Promise<void>): void {
  try {
    after(task);
  } catch {
    void task();
  }
}

async function buildServices(): Promise<AppServices> {
  const env = getEnv();
  const db = env.databaseUrl
    ? await openPostgres({ connectionString: env.databaseUrl, migrationsDir: env.migrationsDir, max: env.databasePoolSize })
    : await openEmbeddedDatabase({ dataDir: env.dataDir, migrationsDir: env.migrationsDir });
  const devMailbox = env.devMailbox ? createDevMailbox(db) : null;
  const mailer = env.smtpUrl ? createSmtpMailer(env.smtpUrl, env.mailFrom) : devMailbox;
  if (!mailer) throw new Error("No way to send mail: set SMTP_URL, or DEV_MAILBOX=on outside production.");
  return {
    env,
    db,
    store: createSqlChatStore(db),
    mailer,
    devMailbox,
    push: createWebhookPush({ url: env.socketServerUrl, secret: env.webhookSecrets[0]!, defer }),
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

/** The auth provider for one request, bound to its cookies. */
export async function getAuth(cookies: CookieJar): Promise<AuthProvider> {
  const { env, db, mailer } = await getServices();
  return createEmbeddedAuth({
    db,
    mailer,
    cookies,
    config: {
      appUrl: env.appUrl,
      jwtSecret: env.jwtSecret,
      accessTokenTtlSeconds: env.accessTokenTtlSeconds,
      sessionTtlDays: env.sessionTtlDays,
      secureCookies: env.isProduction,
    },
  });
}

/** Closes the database (graceful shutdown, tests). */
export async function closeServices(): Promise<void> {
  const pending = globalForServices.__chatServices;
  globalForServices.__chatServices = undefined;
  if (pending) await (await pending).db.close();
}
