import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { SqlClient, SqlExecutor } from "./sql/client";
import { applyShim, migrate } from "./sql/migrate";

/** A second process opened (or tried to open) a data folder that another one owns. */
export class DataDirLockedError extends Error {
  override name = "DataDirLockedError";
  constructor(
    readonly dataDir: string,
    readonly ownerPid: number,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by process ${ownerPid}. ` +
        "PGlite allows one process per data folder (two would silently lose data): " +
        "stop the other process, or set DATA_DIR to another folder.",
    );
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the data folder's lock file (O_EXCL create holding our pid). A lock left by a dead
 * process is taken over; one held by a live process is refused.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, "db.lock");
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: "wx" });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off("exit", release);
        try {
          if (fs.readFileSync(lockPath, "utf8") === String(process.pid)) fs.unlinkSync(lockPath);
        } catch {
          // Already gone.
        }
      };
      process.on("exit", release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number.parseInt(fs.readFileSync(lockPath, "utf8"), 10);
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) throw new DataDirLockedError(dataDir, owner);
      fs.rmSync(lockPath, { force: true }); // stale: its owner died without cleaning up
    }
  }
  throw new Error(`Could not take the lock on ${dataDir}`);
}

function wrap(executor: Pick<PGlite, "query" | "exec">): SqlExecutor {
  return {
    async query<Row>(text: string, params?: unknown[]) {
      return (await executor.query<Row>(text, params)).rows;
    },
    async exec(sql: string) {
      await executor.exec(sql);
    },
  };
}

export interface OpenEmbeddedOptions {
  dataDir: string;
  migrationsDir: string;
  log?: (line: string) => void;
}

/** Opens (creating on first use) the embedded Postgres in `dataDir`/db and migrates it. */
export async function openEmbeddedDatabase({ dataDir, migrationsDir, log = console.log }: OpenEmbeddedOptions): Promise<SqlClient> {
  const release = acquireDataDirLock(dataDir);
  const dbDir = path.join(dataDir, "db");
  try {
    const fresh = !fs.existsSync(path.join(dbDir, "PG_VERSION"));
    log(
      fresh
        ? `Creating the embedded database in ${dbDir} (first start only; this takes a few seconds)…`
        : `Opening the embedded database in ${dbDir}…`,
    );
    const started = Date.now();
    const pg = await PGlite.create(dbDir);
    const db: SqlClient = {
      ...wrap(pg),
      transaction: (fn, { prelude } = {}) =>
        pg.transaction(async (tx) => {
          if (prelude) await tx.exec(prelude);
          return fn(wrap(tx));
        }),
      async close() {
        try {
          await pg.close();
        } finally {
          release();
        }
      },
    };
    await applyShim(db);
    const { applied } = await migrate(db, migrationsDir);
    log(`Embedded database ready in ${Date.now() - started} ms${applied.length ? ` (applied ${applied.join(", ")})` : ""}.`);
    return db;
  } catch (error) {
    release();
    throw error;
  }
}
