import pg from "pg";
import type { SqlClient, SqlExecutor } from "./sql/client";
import { applyShim, migrate } from "./sql/migrate";

// int8 (bigint) columns come back as strings by default; the store converts them itself.

function wrap(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    async query<Row>(text: string, params?: unknown[]) {
      return (await client.query(text, params as unknown[])).rows as Row[];
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}

export interface OpenPostgresOptions {
  connectionString: string;
  migrationsDir: string;
  /** Pool size per process (default 10). */
  max?: number;
  /** Create the Supabase shim and run migrations (not against Supabase, where the CLI does it). */
  migrateOnStart?: boolean;
  log?: (line: string) => void;
}

/** Any Postgres through `pg`: the same SQL as the embedded database, another driver. */
export async function openPostgres({
  connectionString,
  migrationsDir,
  max = 10,
  migrateOnStart = true,
  log = console.log,
}: OpenPostgresOptions): Promise<SqlClient> {
  const pool = new pg.Pool({ connectionString, max });
  // An idle client's error (e.g. the server restarted) must not crash the process.
  pool.on("error", (error) => log(`Postgres pool error: ${error.message}`));
  const db: SqlClient = {
    ...wrap(pool),
    async script<Row>(sql: string) {
      // No parameters: the simple query protocol, one message for every statement.
      const results = (await pool.query(sql)) as unknown as pg.QueryResult | pg.QueryResult[];
      return (Array.isArray(results) ? results[results.length - 1]!.rows : results.rows) as Row[];
    },
    async transaction(fn, { prelude } = {}) {
      const client = await pool.connect();
      try {
        // One round trip for BEGIN and the prelude (the simple query protocol takes both).
        await client.query(prelude ? `begin; ${prelude}` : "begin");
        const result = await fn(wrap(client));
        await client.query("commit");
        return result;
      } catch (error) {
        await client.query("rollback").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
  if (migrateOnStart) {
    await applyShim(db);
    const { applied } = await migrate(db, migrationsDir);
    if (applied.length) log(`Postgres migrated (applied ${applied.join(", ")}).`);
  }
  return db;
}
