import { createPeriodicJob } from "@/server/periodic";
import type { SqlExecutor } from "@/server/store/sql/client";

/** Autovacuum's defaults: act once dead rows (or changes since the last ANALYZE) pass base + share × live rows. */
const VACUUM_BASE = 50;
const VACUUM_SHARE = 0.2;
const ANALYZE_BASE = 50;
const ANALYZE_SHARE = 0.1;

interface TableStats {
  name: string;
  dead: number | string;
  live: number | string;
  modified: number | string;
}

/**
 * What autovacuum does on a Postgres server, for the embedded database, which has none (PGlite
 * runs no background workers). Without it every deleted or updated row stays on disk for good
 * (the push outbox deletes a row per message; each send updates its conversation's row), and the
 * planner keeps the statistics of an empty database while the tables grow. Each run vacuums the
 * tables past autovacuum's thresholds and analyzes those that changed enough, one table at a
 * time: the busy tables are small, and a run that finds nothing to do costs one catalog query.
 * IMPORTANT: PGlite serves one query at a time, so requests wait while a table is processed.
 */
export function createTableMaintenance({ db, log }: { db: SqlExecutor; log: (line: string) => void }) {
  async function run() {
    const tables = await db.query<TableStats>(
      `select format('%I.%I', schemaname, relname) as name, n_dead_tup as dead, n_live_tup as live, n_mod_since_analyze as modified
       from pg_stat_user_tables order by schemaname, relname`,
    );
    const vacuumed: string[] = [];
    const analyzed: string[] = [];
    for (const table of tables) {
      const live = Number(table.live);
      if (Number(table.dead) > VACUUM_BASE + VACUUM_SHARE * live) {
        await db.query(`vacuum (analyze) ${table.name}`);
        vacuumed.push(table.name);
      } else if (Number(table.modified) > ANALYZE_BASE + ANALYZE_SHARE * live) {
        await db.query(`analyze ${table.name}`);
        analyzed.push(table.name);
      }
    }
    return { vacuumed, analyzed };
  }

  const job = createPeriodicJob(run, { onError: (error) => log(`database maintenance failed: ${error.message}`) });
  return {
    /** One pass; a call while one runs joins it. */
    run: job.run,
    /** A pass every `intervalMs` (the embedded database lives as long as the process). */
    start: job.start,
    stop: job.stop,
  };
}

export type TableMaintenance = ReturnType<typeof createTableMaintenance>;
