import fs from "node:fs/promises";
import path from "node:path";
import { findRepoRoot } from "@/server/env";
import type { SqlClient } from "./client";

const SHIM_FILES = ["supabase-shim.sql", "embedded-auth.sql"] as const;

/** The shim's .sql files. Resolved from the repo root because bundlers move this module. */
function sqlDir(): string {
  return path.join(findRepoRoot(), "web", "server", "store", "sql");
}

/** True on a Supabase database, which has the real auth schema and roles. */
async function isSupabase(db: SqlClient): Promise<boolean> {
  const rows = await db.query("select 1 from pg_roles where rolname = 'supabase_auth_admin'");
  return rows.length > 0;
}

/**
 * Creates what Supabase would provide (roles, auth schema, auth.uid()), unless this is
 * Supabase, plus the embedded issuer's own tables.
 */
export async function applyShim(db: SqlClient, dir = sqlDir()): Promise<void> {
  const [supabaseShim, embeddedAuth] = SHIM_FILES;
  if (!(await isSupabase(db))) await db.exec(await fs.readFile(path.join(dir, supabaseShim), "utf8"));
  await db.exec(await fs.readFile(path.join(dir, embeddedAuth), "utf8"));
}

export interface MigrationResult {
  applied: string[];
}

/**
 * Applies supabase/migrations/*.sql that have not run yet, each in its own transaction,
 * recording them where the Supabase CLI does (supabase_migrations.schema_migrations).
 */
export async function migrate(db: SqlClient, migrationsDir: string): Promise<MigrationResult> {
  const files = (await fs.readdir(migrationsDir)).filter((file) => /^\d+_.+\.sql$/.test(file)).sort();
  const applied: string[] = [];
  for (const file of files) {
    const [version, ...rest] = file.replace(/\.sql$/, "").split("_");
    if (!version) continue;
    const sql = await fs.readFile(path.join(migrationsDir, file), "utf8");
    const ran = await db.transaction(async (tx) => {
      // Several processes may start at once: one applies, the others wait and then skip.
      await tx.query("select pg_advisory_xact_lock(7461263)");
      const done = await tx.query("select 1 from supabase_migrations.schema_migrations where version = $1", [version]);
      if (done.length > 0) return false;
      await tx.exec(sql);
      await tx.query("insert into supabase_migrations.schema_migrations (version, name) values ($1, $2)", [version, rest.join("_")]);
      return true;
    });
    if (ran) applied.push(file);
  }
  return { applied };
}
