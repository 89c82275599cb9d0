import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { findRepoRoot } from "@/server/env";
import { openPostgres } from "@/server/store/postgres";
import type { SqlClient } from "@/server/store/sql/client";

/**
 * Runs `fn` against a new database on the Postgres server at `serverUrl`, migrated by the app's
 * own runner (the shim stands in for what Supabase provides), then drops it whatever happens.
 * `prepare` runs on the migrated database first (e.g. to create an extension).
 */
export async function withScratchDatabase<T>(
  serverUrl: string,
  prefix: string,
  fn: (url: URL) => Promise<T>,
  prepare?: (db: SqlClient) => Promise<void>,
): Promise<T> {
  const name = `${prefix}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    const db = await openPostgres({
      connectionString: url.toString(),
      migrationsDir: path.join(findRepoRoot(), "supabase", "migrations"),
      max: 2,
      log: () => {},
    });
    try {
      await prepare?.(db);
    } finally {
      await db.close();
    }
    return await fn(url);
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
