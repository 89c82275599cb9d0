import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { copyTemplateDataDir, MIGRATIONS_DIR } from "@/test/support/db";
import { DataDirLockedError, openEmbeddedDatabase, processStartTime } from "./pglite";

const quiet = { migrationsDir: MIGRATIONS_DIR, log: () => {} };
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = copyTemplateDataDir();
  dirs.push(dir);
  return dir;
}

/** Another process that opens the database and holds it. */
async function holdInAnotherProcess(dataDir: string): Promise<ChildProcess> {
  const script = path.resolve(import.meta.dirname, "../../test/support/hold-database.ts");
  const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", script, dataDir], {
    cwd: path.resolve(import.meta.dirname, "../.."),
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve());
    child.on("exit", (code) => reject(new Error(`holder exited with ${code}: ${stderr}`)));
  });
  return child;
}

describe("embedded database", () => {
  it("when another process has the data folder open, then opening it fails with a clear message", async () => {
    const dataDir = freshDir();
    const holder = await holdInAnotherProcess(dataDir);
    const error = await openEmbeddedDatabase({ dataDir, ...quiet }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirLockedError);
    expect((error as Error).message).toContain(`in use by process ${holder.pid}`);
    expect((error as Error).message).toContain("DATA_DIR");
  });

  it("when the owner died without cleaning up, then the next process takes the folder over", async () => {
    const dataDir = freshDir();
    const holder = await holdInAnotherProcess(dataDir);
    holder.kill("SIGKILL");
    await new Promise((resolve) => holder.once("exit", resolve));
    const db = await openEmbeddedDatabase({ dataDir, ...quiet });
    expect(await db.query("select 1 as ok")).toEqual([{ ok: 1 }]);
    await db.close();
  });

  it("when the owner was killed and its pid now belongs to another live process, then the restart takes the folder over", async () => {
    const dataDir = freshDir();
    const holder = await holdInAnotherProcess(dataDir);
    const lockPath = path.join(dataDir, "db.lock");
    const recorded = JSON.parse(fs.readFileSync(lockPath, "utf8"));
    expect(recorded).toEqual({ pid: holder.pid, startTime: processStartTime(holder.pid!) });
    holder.kill("SIGKILL");
    await new Promise((resolve) => holder.once("exit", resolve));
    // PID reuse: the lock names PID 1 (alive: init, in a container the app's own entrypoint)
    // with the start time of the process that really held it.
    expect(processStartTime(1)).toBeDefined();
    fs.writeFileSync(lockPath, JSON.stringify({ pid: 1, startTime: recorded.startTime }));

    // The restart, as its own process.
    const restarted = await holdInAnotherProcess(dataDir);
    expect(JSON.parse(fs.readFileSync(lockPath, "utf8"))).toEqual({ pid: restarted.pid, startTime: processStartTime(restarted.pid!) });
  });

  it("when the lock names a live process with its own start time, then it is still refused", async () => {
    const dataDir = freshDir();
    const sleeper = spawn(process.execPath, ["-e", "setInterval(() => {}, 60_000)"], { stdio: "ignore" });
    children.push(sleeper);
    await new Promise((resolve) => sleeper.once("spawn", resolve));
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, "db.lock"), JSON.stringify({ pid: sleeper.pid, startTime: processStartTime(sleeper.pid!) }));

    const error = await openEmbeddedDatabase({ dataDir, ...quiet }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirLockedError);
    expect((error as Error).message).toContain(`in use by process ${sleeper.pid}`);
  });

  it("when the database is closed and reopened, then the data and the migrations persist", async () => {
    const dataDir = freshDir();
    const first = await openEmbeddedDatabase({ dataDir, ...quiet });
    await first.query("insert into auth.users (email) values ('persist@example.com')");
    await first.close();
    expect(fs.existsSync(path.join(dataDir, "db.lock"))).toBe(false);
    const second = await openEmbeddedDatabase({ dataDir, ...quiet });
    expect(await second.query("select email from public.profiles where email = 'persist@example.com'")).toHaveLength(1);
    expect(await second.query("select version from supabase_migrations.schema_migrations")).toHaveLength(
      fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql")).length,
    );
    await second.close();
  });

  it("when the same process already holds the folder, then a second open is refused too", async () => {
    const dataDir = freshDir();
    const db = await openEmbeddedDatabase({ dataDir, ...quiet });
    await expect(openEmbeddedDatabase({ dataDir, ...quiet })).rejects.toBeInstanceOf(DataDirLockedError);
    await db.close();
  });
});
