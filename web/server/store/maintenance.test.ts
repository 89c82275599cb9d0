import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { copyTemplateDataDir, MIGRATIONS_DIR } from "@/test/support/db";
import { createTableMaintenance } from "./maintenance";
import { openEmbeddedDatabase } from "./pglite";
import type { SqlClient } from "./sql/client";

const opened: { db: SqlClient; dir: string }[] = [];

afterEach(async () => {
  for (const { db, dir } of opened.splice(0)) {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

async function openFresh(): Promise<SqlClient> {
  const dir = copyTemplateDataDir();
  const db = await openEmbeddedDatabase({ dataDir: dir, migrationsDir: MIGRATIONS_DIR, log: () => {} });
  opened.push({ db, dir });
  return db;
}

/** What the outbox does per message: a row written, then deleted once the push is acknowledged. */
async function churnOutbox(db: SqlClient, rows: number, { keep = false } = {}) {
  await db.query(
    `insert into public.push_outbox (push_id, type, payload)
     select 'maint_' || g || '_' || gen_random_uuid(), 'session.revoked', '{"userId":"x"}'::jsonb from generate_series(1, $1::int) g`,
    [rows],
  );
  if (!keep) await db.query("delete from public.push_outbox where push_id like 'maint_%'");
  // Statistics reach pg_stat_user_tables at most once a second; tests cannot wait on that.
  await db.query("select pg_stat_force_next_flush()");
  await db.query("select 1");
}

const outboxStats = async (db: SqlClient) =>
  (
    await db.query<{ dead: string | number; size: string | number; analyzed: boolean }>(
      `select n_dead_tup as dead, pg_relation_size('public.push_outbox') as size, last_analyze is not null as analyzed
       from pg_stat_user_tables where relname = 'push_outbox'`,
    )
  )[0]!;

describe("embedded database maintenance (PGlite has no autovacuum)", () => {
  it("when the outbox has churned through rows, then a pass vacuums it: the dead rows are gone and the table shrinks", async () => {
    const db = await openFresh();
    await churnOutbox(db, 2_000);
    const before = await outboxStats(db);
    expect(Number(before.dead)).toBeGreaterThanOrEqual(2_000);

    const result = await createTableMaintenance({ db, log: () => {} }).run();

    expect(result.vacuumed).toContain("public.push_outbox");
    await db.query("select pg_stat_force_next_flush()");
    await db.query("select 1");
    const after = await outboxStats(db);
    expect(Number(after.dead)).toBe(0);
    expect(Number(after.size)).toBeLessThan(Number(before.size));
  });

  it("when a table grew without deletes, then a pass analyzes it (the planner learns its size), and the next pass has nothing to do", async () => {
    const db = await openFresh();
    const maintenance = createTableMaintenance({ db, log: () => {} });
    await maintenance.run(); // whatever the migrations left
    await churnOutbox(db, 500, { keep: true });

    const result = await maintenance.run();

    expect(result.analyzed).toContain("public.push_outbox");
    expect(result.vacuumed).not.toContain("public.push_outbox");
    expect((await outboxStats(db)).analyzed).toBe(true);
    await db.query("select pg_stat_force_next_flush()");
    await db.query("select 1");
    expect(await maintenance.run()).toEqual({ vacuumed: [], analyzed: [] });
  });
});
