/**
 * Runs the benchmarks, each in its own process (a fresh heap, and nothing a crashed one leaves
 * behind), then prints every target with PASS/MISS and writes bench/results/summary.json.
 *
 *   npm run bench                                  # everything, about 10–15 minutes
 *   npm run bench -- --quick                       # smoke test, a minute or so per benchmark
 *   npm run bench -- --only=push-fanout,memory     # some of them
 *   npm run bench -- --source=head                 # a commit instead of the working tree
 *   npm run bench -- --cpu-prof                    # profile the servers under test
 *   npm run bench -- --quiet-wait=300              # before each benchmark, wait up to 300 s for other work to calm down
 *
 * Other flags (e.g. --sockets=500) are passed to every benchmark; each ignores what it does not use.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "./lib/cli.js";
import { BENCH_DIR, RESULTS_DIR, timestampForFile } from "./lib/paths.js";
import { runMain, sleep } from "./lib/processes.js";
import { readMachineBusySeconds } from "./lib/proc-stats.js";
import { loadAverage, machineInfo, printTable, type BenchResult } from "./lib/report.js";
import { useSource } from "./lib/source.js";
import { ensureBuild } from "./lib/web-app.js";

const BENCHMARKS = ["push-fanout", "memory", "e2e-send", "history", "page-weight"] as const;
type BenchmarkName = (typeof BENCHMARKS)[number];
const NEEDS_BUILD = new Set<BenchmarkName>(["e2e-send", "history", "page-weight"]);

interface Ran {
  name: BenchmarkName;
  exitCode: number | null;
  seconds: number;
  result?: BenchResult;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  const only = args.string("only")?.split(",") ?? [...BENCHMARKS];
  const unknown = only.filter((name) => !(BENCHMARKS as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`unknown benchmark(s) ${unknown.join(", ")}; choose from ${BENCHMARKS.join(", ")}`);
  const selected = BENCHMARKS.filter((name) => only.includes(name));
  const passThrough = argv.filter((arg) => !/^--(only|source|quiet-wait)=/.test(arg) && arg !== "--rebuild");
  const quietWaitSeconds = args.has("quiet-wait") ? args.number("quiet-wait", 300) : 0;

  const startedAt = new Date();
  const loadBefore = loadAverage();
  console.log(`bench: ${selected.join(", ")}${args.quick ? " (quick)" : ""} on ${os.cpus().length} cores, load average ${loadBefore}`);
  // Resolved once: others may commit while the benchmarks run, and all of them must test the same code.
  const source = useSource(args.string("source"));
  if (args.string("source") && args.string("source") !== "worktree")
    passThrough.push(`--source=${readFileSync(path.join(source, ".complete"), "utf8").trim()}`);
  // Once, here, so the benchmarks that need the production build share it.
  const build = selected.some((name) => NEEDS_BUILD.has(name)) ? await ensureBuild({ force: args.has("rebuild") }) : undefined;

  const ran: Ran[] = [];
  for (const name of selected) {
    if (quietWaitSeconds > 0) await waitForQuiet(quietWaitSeconds);
    ran.push(await runOne(name, passThrough, startedAt));
  }

  const rows = ran.flatMap((run) =>
    run.result
      ? run.result.targets.map((target) => [run.name, target.pass ? "PASS" : "MISS", target.label, target.detail])
      : [[run.name, "ERROR", `exited with code ${run.exitCode}`, "see the output above"]],
  );
  printTable(
    `Targets${args.quick ? " (quick run: smaller than the targets assume)" : ""}`,
    ["benchmark", "result", "target", "measured"],
    rows,
  );
  const loadAfter = loadAverage();
  const durations = ran.map((run) => `${run.name} ${Math.round(run.seconds)} s`).join(", ");
  console.log(
    `\ntook ${Math.round((Date.now() - startedAt.getTime()) / 1000)} s (${durations}); load average ${loadBefore} → ${loadAfter}`,
  );

  mkdirSync(RESULTS_DIR, { recursive: true });
  const summary = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick: args.quick,
    argv,
    machine: machineInfo(),
    load: { before: loadBefore, after: loadAfter },
    build,
    benchmarks: ran.map(({ name, exitCode, seconds, result }) => ({ name, exitCode, seconds, targets: result?.targets ?? null })),
  };
  const json = `${JSON.stringify(summary, null, 2)}\n`;
  writeFileSync(path.join(RESULTS_DIR, `summary-${timestampForFile(startedAt)}.json`), json);
  writeFileSync(path.join(RESULTS_DIR, "summary.json"), json);
  if (ran.some((run) => run.exitCode !== 0)) process.exitCode = 1;
}

/** Busy CPU of the whole machine over 5 s, percent of one core (this process is idle meanwhile). */
async function machineBusyPercent(): Promise<number> {
  const before = readMachineBusySeconds();
  await sleep(5_000);
  return ((readMachineBusySeconds() - before) / 5) * 100;
}

/** Waits (bounded) until other work uses under a quarter of a core: results on a shared machine are noisy. */
async function waitForQuiet(maxSeconds: number): Promise<void> {
  const deadline = Date.now() + maxSeconds * 1000;
  let busy = await machineBusyPercent();
  if (busy < QUIET_PERCENT) return;
  console.log(`bench: other work is using ${Math.round(busy)}% of a core; waiting up to ${maxSeconds} s for it to calm down…`);
  while (Date.now() < deadline) {
    busy = await machineBusyPercent();
    if (busy < QUIET_PERCENT) return;
  }
  console.warn(`bench: still ${Math.round(busy)}% of a core busy with other work; running anyway (see "other CPU" in the tables)`);
}

const QUIET_PERCENT = 25;

function runOne(name: BenchmarkName, argv: string[], since: Date): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(BENCH_DIR, `${name}.ts`), ...argv], { stdio: "inherit" });
    child.once("exit", (exitCode) => {
      const file = path.join(RESULTS_DIR, `${name}.json`);
      let result: BenchResult | undefined;
      if (exitCode === 0 && existsSync(file)) {
        const parsed = JSON.parse(readFileSync(file, "utf8")) as BenchResult;
        // Only this run's result, not one left by an earlier run.
        if (new Date(parsed.startedAt) >= since) result = parsed;
      }
      resolve({ name, exitCode, seconds: (Date.now() - started) / 1000, result });
    });
  });
}

runMain(import.meta.url, main);
