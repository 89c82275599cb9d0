import fs from "node:fs/promises";
import path from "node:path";
import { findRepoRoot } from "@/lib/env";
import type { SqlClient } from "./client";

const SHIM_FILES = ["supabase-shim.sql", "embedded-auth.sql"] as const;

/** The shim's .sql files. Resolved from the repo root because bundlers move this module. */
function sqlDir(): string {
  return path.join(findRepoRoot(), "web", "server", "store", "sql");
}

/** Creates what Supabase would provide (roles, auth schema, auth.uid()) plus the embedded auth tables. */
export async function applyShim(db: SqlClient, dir = sqlDir()): Promise<void> {
  for (const file of SHIM_FILES) {
    await db.exec(await fs.readFile(path.join(dir, file), "utf8"));
  }
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
  const done = new Set(
    (await db.query<{ version: string }>("select version from supabase_migrations.schema_migrations")).map((row) => row.version),
  );
  const applied: string[] = [];
  for (const file of files) {
    const [version, ...rest] = file.replace(/\.sql$/, "").split("_");
    if (!version || done.has(version)) continue;
    const sql = await fs.readFile(path.join(migrationsDir, file), "utf8");
    await db.transaction(async (tx) => {
      await tx.exec(sql);
      await tx.query("insert into supabase_migrations.schema_migrations (version, name) values ($1, $2)", [version, rest.join("_")]);
    });
    applied.push(file);
  }
  return { applied };
}
