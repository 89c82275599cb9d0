/**
 * Headline numbers across the last N full (non-quick) runs of each benchmark: median, with the
 * range, as a Markdown table for bench/README.md.
 *
 *   node --import tsx bench/medians.ts [--runs=3] [--since=2026-11-25T03:00:00Z]
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "./lib/cli.js";
import { RESULTS_DIR } from "./lib/paths.js";
import { runMain } from "./lib/processes.js";
import { fmt, type BenchResult } from "./lib/report.js";
import { median } from "./lib/stats.js";

// Result files are JSON written by the benchmarks (their shapes are in each benchmark file),
// read loosely here: a missing field yields null in the table rather than a type error.
type Json = any;
type Extract = (data: Json) => number | null;

interface Metric {
  benchmark: string;
  label: string;
  extract: Extract;
  digits?: number;
}

const stepAt = (run: Json, rate: number) => run?.steps?.find((step: Json) => step.offered === rate);
const pushRun = (data: Json, kind: string) => data.runs.find((run: Json) => run.kind === kind);
const ceilingCost = (run: Json, name: string) => stepAt(run, run?.ceiling)?.cpuMsPerOp?.[name] ?? null;
const memoryTop = (data: Json, kind: string) => data.runs.find((run: Json) => run.kind === kind)?.levels.at(-1);
const history = (data: Json, path: string, concurrency: number) =>
  data.results.find((row: Json) => row.path === path && row.concurrency === concurrency);
const e2e = (data: Json, mode: string) => data.runs.find((run: Json) => run.mode === mode);

const METRICS: Metric[] = [
  {
    benchmark: "push-fanout",
    label: "socket server ceiling (pushes/s, p99 ≤ 50 ms)",
    extract: (d) => pushRun(d, "socket-server")?.ceiling ?? null,
  },
  { benchmark: "push-fanout", label: "bare Socket.IO ceiling (pushes/s)", extract: (d) => pushRun(d, "bare")?.ceiling ?? null },
  {
    benchmark: "push-fanout",
    label: "socket server CPU per push (µs)",
    extract: (d) => (ceilingCost(pushRun(d, "socket-server"), "server") ?? NaN) * 1000,
    digits: 0,
  },
  {
    benchmark: "push-fanout",
    label: "bare CPU per push (µs)",
    extract: (d) => (ceilingCost(pushRun(d, "bare"), "server") ?? NaN) * 1000,
    digits: 0,
  },
  {
    benchmark: "push-fanout",
    label: "CPU-normalised capacity ratio (socket server ÷ bare)",
    extract: (d) => (ceilingCost(pushRun(d, "bare"), "server") ?? NaN) / (ceilingCost(pushRun(d, "socket-server"), "server") ?? NaN),
    digits: 2,
  },
  {
    benchmark: "push-fanout",
    label: "socket server p99 at 2,000/s (ms)",
    extract: (d) => stepAt(pushRun(d, "socket-server"), 2000)?.latency.p99 ?? null,
  },
  {
    benchmark: "push-fanout",
    label: "socket server p50 at 2,000/s (ms)",
    extract: (d) => stepAt(pushRun(d, "socket-server"), 2000)?.latency.p50 ?? null,
  },
  {
    benchmark: "memory",
    label: "socket server RSS per idle socket (KB)",
    extract: (d) => memoryTop(d, "socket-server").rssPerSocket / 1024,
  },
  { benchmark: "memory", label: "bare RSS per idle socket (KB)", extract: (d) => memoryTop(d, "bare").rssPerSocket / 1024 },
  {
    benchmark: "memory",
    label: "socket server heap per idle socket (KB)",
    extract: (d) => memoryTop(d, "socket-server").heapPerSocket / 1024,
  },
  { benchmark: "memory", label: "bare heap per idle socket (KB)", extract: (d) => memoryTop(d, "bare").heapPerSocket / 1024 },
  { benchmark: "memory", label: "RSS ratio", extract: (d) => d.rssRatio, digits: 2 },
  { benchmark: "memory", label: "heap ratio", extract: (d) => d.heapRatio, digits: 2 },
  { benchmark: "e2e-send", label: "Postgres: ceiling (sends/s, p99 ≤ 50 ms)", extract: (d) => e2e(d, "postgres")?.ceiling ?? 0 },
  {
    benchmark: "e2e-send",
    label: "Postgres: web CPU per send at 100/s (ms)",
    extract: (d) => stepAt(e2e(d, "postgres"), 100)?.cpuMsPerOp.web ?? null,
    digits: 2,
  },
  {
    benchmark: "e2e-send",
    label: "Postgres: send→delivery p99 at 50/s (ms)",
    extract: (d) => stepAt(e2e(d, "postgres"), 50)?.latency.p99 ?? null,
  },
  { benchmark: "e2e-send", label: "embedded: ceiling (sends/s, p99 ≤ 100 ms)", extract: (d) => e2e(d, "embedded")?.ceiling ?? 0 },
  {
    benchmark: "e2e-send",
    label: "embedded: web CPU per send at 100/s (ms)",
    extract: (d) => stepAt(e2e(d, "embedded"), 100)?.cpuMsPerOp.web ?? null,
    digits: 2,
  },
  {
    benchmark: "e2e-send",
    label: "raw INSERT via pg, pool 10 (rows/s)",
    extract: (d) => d.baselines.find((b: Json) => b.driver.startsWith("pg"))?.perSecond ?? null,
    digits: 0,
  },
  {
    benchmark: "e2e-send",
    label: "raw INSERT via PGlite (rows/s)",
    extract: (d) => d.baselines.find((b: Json) => b.driver.startsWith("PGlite"))?.perSecond ?? null,
    digits: 0,
  },
  { benchmark: "history", label: "API p50 / 1 in flight (ms)", extract: (d) => history(d, "API", 1)?.latency.p50 ?? null, digits: 2 },
  { benchmark: "history", label: "API p99 / 1 in flight (ms)", extract: (d) => history(d, "API", 1)?.latency.p99 ?? null, digits: 2 },
  {
    benchmark: "history",
    label: "raw keyset p99 / 1 in flight (ms)",
    extract: (d) => history(d, "raw keyset (pg)", 1)?.latency.p99 ?? null,
    digits: 2,
  },
  {
    benchmark: "history",
    label: "app SQL p99 / 1 in flight (ms)",
    extract: (d) => history(d, "app SQL (pg)", 1)?.latency.p99 ?? null,
    digits: 2,
  },
  {
    benchmark: "history",
    label: "API ÷ raw p99, 1 in flight",
    extract: (d) => history(d, "API", 1)?.latency.p99 / history(d, "raw keyset (pg)", 1)?.latency.p99,
    digits: 2,
  },
  {
    benchmark: "history",
    label: "API ÷ raw p99, 8 in flight",
    extract: (d) => history(d, "API", 8)?.latency.p99 / history(d, "raw keyset (pg)", 8)?.latency.p99,
    digits: 2,
  },
  {
    benchmark: "history",
    label: "web CPU per API request (ms)",
    extract: (d) => history(d, "API", 1)?.webCpuMsPerRequest ?? null,
    digits: 2,
  },
  {
    benchmark: "page-weight",
    label: "/login first-load JS (kB gzip)",
    extract: (d) => d.pages.find((p: Json) => p.route === "/login").gzip / 1000,
  },
  {
    benchmark: "page-weight",
    label: "/chat first-load JS (kB gzip)",
    extract: (d) => d.pages.find((p: Json) => p.route === "/chat").gzip / 1000,
  },
];

runMain(import.meta.url, async () => {
  const args = parseArgs();
  const runs = args.number("runs", 3);
  const since = args.string("since");
  const byBenchmark = new Map<string, BenchResult[]>();
  for (const file of readdirSync(RESULTS_DIR).filter((name) => /-\d{4}-\d\d-\d\dT.*\.json$/.test(name) && !name.startsWith("summary"))) {
    const result = JSON.parse(readFileSync(path.join(RESULTS_DIR, file), "utf8")) as BenchResult;
    if (result.quick || (since && result.startedAt < since)) continue;
    byBenchmark.set(result.name, [...(byBenchmark.get(result.name) ?? []), result]);
  }
  console.log(`| benchmark | metric | median | range | runs |\n| --- | --- | --- | --- | --- |`);
  for (const metric of METRICS) {
    const results = (byBenchmark.get(metric.benchmark) ?? []).sort((a, b) => a.startedAt.localeCompare(b.startedAt)).slice(-runs);
    const values = results
      .map((result) => {
        try {
          return metric.extract(result.data);
        } catch {
          return null;
        }
      })
      .filter((value): value is number => value !== null && Number.isFinite(value));
    const digits = metric.digits ?? 1;
    const range = values.length ? `${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)}` : "–";
    console.log(
      `| ${metric.benchmark} | ${metric.label} | ${values.length ? fmt(median(values), digits) : "–"} | ${range} | ${values.length} |`,
    );
  }
});
