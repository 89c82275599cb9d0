import { randomBytes } from "node:crypto";
import pg from "pg";
import { openPostgres } from "@/server/store/postgres";
import type { SqlClient } from "@/server/store/sql/client";
import { MIGRATIONS_DIR } from "./db";

/** The machine's Postgres for the suites that need one (`.ci/run` sets it). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

if (!TEST_DATABASE_URL && process.env.CI === "true") {
  throw new Error("CI must run the Postgres suites: set TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test).");
}

export function notePostgresSkip(suite: string): void {
  if (!TEST_DATABASE_URL) console.warn(`[skip] ${suite}: no TEST_DATABASE_URL (a Postgres server) is set.`);
}

/** A fresh database on the test server, migrated, dropped again by `close()`. */
export async function openPostgresTestDatabase(): Promise<{ db: SqlClient; url: string; close(): Promise<void> }> {
  const name = `chat_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  const db = await openPostgres({ connectionString: url.toString(), migrationsDir: MIGRATIONS_DIR, max: 12, log: () => {} });
  return {
    db,
    url: url.toString(),
    async close() {
      await db.close();
      const cleanup = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}
