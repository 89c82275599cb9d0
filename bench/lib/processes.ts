import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { LOGS_DIR, PROFILES_DIR, REPO_ROOT, timestampForFile } from "./paths.js";

/** A server (or helper) started by a benchmark; its output goes to a log file. */
export interface ManagedProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** The last lines of output, for error messages. */
  tail(lines?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartProcessOptions {
  name: string;
  args: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Opens an IPC channel (for bench/lib/heap-probe.ts). */
  ipc?: boolean;
  /** Node flags such as --cpu-prof; added before `args`. */
  nodeFlags?: string[];
  /** Adds `--cpu-prof` writing to bench/results/profiles/<name>-<time>/ (main thread: CPU.*.<pid>.0.*.cpuprofile). */
  cpuProf?: boolean;
}

const running = new Set<ManagedProcess>();

/** Starts `node [nodeFlags] args…` as a child process of this benchmark. */
export function startProcess({
  name,
  args,
  env = {},
  cwd = REPO_ROOT,
  ipc = false,
  nodeFlags = [],
  cpuProf = false,
}: StartProcessOptions): ManagedProcess {
  mkdirSync(LOGS_DIR, { recursive: true });
  const logFile = path.join(LOGS_DIR, `${name}-${timestampForFile()}.log`);
  const log = createWriteStream(logFile);
  const flags = [...nodeFlags];
  if (cpuProf) {
    // One folder per run and V8's default file names: worker threads (tsx's loader hooks)
    // write their own profiles, which a fixed --cpu-prof-name would let overwrite the main one.
    const dir = path.join(PROFILES_DIR, `${name}-${timestampForFile()}`);
    mkdirSync(dir, { recursive: true });
    flags.push("--cpu-prof", `--cpu-prof-dir=${dir}`);
  }
  const child = spawn(process.execPath, [...flags, ...args], {
    cwd,
    // Unset (undefined) entries remove an inherited variable.
    env: Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, value]) => value !== undefined)),
    stdio: ipc ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  const recent: string[] = [];
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    recent.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    if (recent.length > 200) recent.splice(0, recent.length - 200);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      running.delete(managed);
      log.end();
      resolve(code);
    });
  });
  let stopping: Promise<void> | undefined;
  const managed: ManagedProcess = {
    name,
    pid: child.pid,
    child,
    logFile,
    exited,
    tail: (lines = 30) => recent.slice(-lines).join("\n"),
    stop(graceMs = 15_000) {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
  running.add(managed);
  return managed;
}

/** Stops every process this benchmark started that is still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((process) => process.stop(5_000)));
}

// A benchmark that fails or is interrupted must not leave servers behind. Only our own
// children, by pid.
process.once("exit", () => {
  for (const { child } of running) child.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void stopAll().finally(() => process.exit(130));
  });
}

/** Polls `url` until it answers 200, failing early if `owner` exits. */
export async function waitForHttp(url: string, owner: ManagedProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void owner.exited.then((code) => {
    exitCode = code;
  });
  let last = "";
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`${owner.name} exited (code ${exitCode}) before ${url} answered:\n${owner.tail()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last}):\n${owner.tail()}`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs a node script to completion; resolves with its stdout, rejects with its output on failure. */
export async function runNodeScript(options: StartProcessOptions & { timeoutMs?: number }): Promise<string> {
  const managed = startProcess(options);
  let stdout = "";
  managed.child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  const timer = setTimeout(() => void managed.stop(1_000), options.timeoutMs ?? 10 * 60_000);
  const code = await managed.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${options.name} failed (exit ${code}); log: ${managed.logFile}\n${managed.tail()}`);
  return stdout;
}

/**
 * Entry point for a benchmark file run directly (`node --import tsx bench/x.ts`): runs it,
 * stops whatever it started, and exits (open handles must not keep a finished run alive).
 */
export function runMain(importMetaUrl: string, main: () => Promise<unknown>): void {
  if (importMetaUrl !== pathToFileURL(process.argv[1] ?? "").href) return;
  main()
    .then(
      () => 0,
      (error: unknown) => {
        console.error(error);
        return 1;
      },
    )
    .then(async (code) => {
      await stopAll();
      process.exit(code);
    });
}
