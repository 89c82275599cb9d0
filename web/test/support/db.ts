import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inject } from "vitest";
import { openEmbeddedDatabase } from "@/server/store/pglite";
import type { SqlClient } from "@/server/store/sql/client";

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, "../../../supabase/migrations");

/** A fresh data folder holding a migrated database (a copy of the run's template). */
export function copyTemplateDataDir(): string {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "chat-test-"));
  fs.cpSync(inject("templateDataDir"), dataDir, { recursive: true });
  return dataDir;
}

export async function openTestDatabase(): Promise<{ db: SqlClient; dataDir: string; close(): Promise<void> }> {
  const dataDir = copyTemplateDataDir();
  const db = await openEmbeddedDatabase({ dataDir, migrationsDir: MIGRATIONS_DIR, log: () => {} });
  return {
    db,
    dataDir,
    async close() {
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates an account as the magic-link issuer would; returns its id. */
export async function createUser(db: SqlClient, email: string): Promise<string> {
  const [row] = await db.query<{ id: string }>("insert into auth.users (email) values ($1) returning id", [email]);
  return row!.id;
}
