import { execFileSync } from "node:child_process";
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
 * When a process started, as an opaque string; undefined when it cannot be told. With the pid
 * it names one process for good: after a kill -9 and a reboot or container restart the pid is
 * soon another process's (PID 1 in a container), and its start time differs.
 * Linux: field 22 of /proc/<pid>/stat (clock ticks since boot). Elsewhere: `ps -o lstart=`.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 2, the command name, is in parentheses and may hold spaces or parentheses itself.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state), so field 22 is fields[19].
    const ticks = fields[19];
    if (ticks && /^\d+$/.test(ticks)) return `linux:${ticks}`;
  } catch {
    // No /proc (macOS) or no such process: try ps.
  }
  try {
    const started = execFileSync("ps", ["-o", "lstart=", "-p", String(pid)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 2_000,
    }).trim();
    return started ? `ps:${started}` : undefined;
  } catch {
    return undefined;
  }
}

interface LockOwner {
  pid: number;
  startTime?: string;
}

function readLockOwner(lockPath: string): LockOwner | null {
  const text = fs.readFileSync(lockPath, "utf8").trim();
  // Older versions wrote the bare pid.
  if (/^\d+$/.test(text)) return { pid: Number(text) };
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (Number.isInteger(value.pid) && value.pid! > 0) {
      return { pid: value.pid!, ...(typeof value.startTime === "string" ? { startTime: value.startTime } : {}) };
    }
  } catch {
    // Half-written or garbage: nobody can own it.
  }
  return null;
}

/** The lock's owner is still running: the same pid, and (when both are known) the same start time. */
function ownerIsRunning(owner: LockOwner): boolean {
  if (!isAlive(owner.pid)) return false;
  if (owner.startTime === undefined) return true; // cannot tell: assume it is the owner
  const current = processStartTime(owner.pid);
  return current === undefined || current === owner.startTime;
}

/**
 * Takes the data folder's lock file (created exclusively, holding our pid and start time). A lock left
 * by a dead process, or naming a pid that now belongs to another process, is taken over; one
 * held by a live owner is refused.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, "db.lock");
  const startTime = processStartTime(process.pid);
  const content = JSON.stringify({ pid: process.pid, ...(startTime ? { startTime } : {}) });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // Written whole under another name, then linked into place (fails if it exists): another
      // process never reads a half-written lock.
      const temporary = `${lockPath}.${process.pid}.tmp`;
      fs.writeFileSync(temporary, content);
      try {
        fs.linkSync(temporary, lockPath);
      } finally {
        fs.rmSync(temporary, { force: true });
      }
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off("exit", release);
        try {
          if (fs.readFileSync(lockPath, "utf8") === content) fs.unlinkSync(lockPath);
        } catch {
          // Already gone.
        }
      };
      process.on("exit", release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      let owner: LockOwner | null;
      try {
        owner = readLockOwner(lockPath);
      } catch (readError) {
        if ((readError as NodeJS.ErrnoException).code === "ENOENT") continue; // released meanwhile
        throw readError;
      }
      if (owner && ownerIsRunning(owner)) throw new DataDirLockedError(dataDir, owner.pid);
      fs.rmSync(lockPath, { force: true }); // stale: its owner died, or its pid is another process's now
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
      async script<Row>(sql: string) {
        const results = await pg.exec(sql);
        return (results[results.length - 1]?.rows ?? []) as Row[];
      },
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
