import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RESULTS_DIR, timestampForFile } from "./paths.js";
import { describeSource } from "./source.js";

export type Cell = string | number | null | undefined;

/** A goal from the brief, checked against this run. */
export interface Target {
  label: string;
  pass: boolean;
  /** Measured value and bound, e.g. "0.72× (≥ 0.6×)". */
  detail: string;
}

/** What every benchmark writes to bench/results/<name>.json. */
export interface BenchResult {
  name: string;
  quick: boolean;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  /** The code under test: a commit (--source) or "worktree". */
  source: string;
  /** Load average (1 min) before and after: other work on the machine skews results. */
  load: { before: number; after: number };
  targets: Target[];
  /** Benchmark-specific tables and raw numbers. */
  data: Record<string, unknown>;
}

export interface MachineInfo {
  node: string;
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  platform: string;
}

export function machineInfo(): MachineInfo {
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
  };
}

export const loadAverage = () => Math.round(os.loadavg()[0]! * 100) / 100;

/** Formats a number for a table: integers with thin grouping, others with `digits` decimals. */
export function fmt(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) >= 1000) return value.toLocaleString("en-US");
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(digits);
}

export const kb = (bytes: number, digits = 1) => fmt(bytes / 1024, digits);

/** Prints an aligned plain-text table (numbers right-aligned). */
export function printTable(title: string, headers: string[], rows: Cell[][]): void {
  const text = rows.map((row) => row.map((cell) => (typeof cell === "number" ? fmt(cell) : (cell ?? "–"))));
  const widths = headers.map((header, i) => Math.max(header.length, ...text.map((row) => row[i]?.length ?? 0)));
  const numeric = headers.map((_, i) => rows.every((row) => typeof row[i] === "number" || row[i] === null || row[i] === undefined));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  console.log(`\n${title}`);
  console.log(line(headers));
  console.log(widths.map((width) => "-".repeat(width)).join("  "));
  for (const row of text) console.log(line(row));
}

export function printTargets(targets: Target[]): void {
  for (const target of targets) console.log(`${target.pass ? "PASS" : "MISS"}  ${target.label}: ${target.detail}`);
}

/** Writes bench/results/<name>.json (latest) and a timestamped copy; returns the latter's path. */
export function writeResult(result: BenchResult): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  const stamped = path.join(RESULTS_DIR, `${result.name}-${timestampForFile(new Date(result.startedAt))}.json`);
  writeFileSync(stamped, json);
  writeFileSync(path.join(RESULTS_DIR, `${result.name}.json`), json);
  return stamped;
}

/** Runs a benchmark body, then prints its targets and writes its JSON. */
export async function runBenchmark(
  name: string,
  quick: boolean,
  body: () => Promise<{ targets: Target[]; data: Record<string, unknown> }>,
): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const before = loadAverage();
  console.log(`\n=== ${name}${quick ? " (quick)" : ""} — load average ${before} on ${os.cpus().length} cores ===`);
  const { targets, data } = await body();
  const result: BenchResult = {
    name,
    quick,
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: machineInfo(),
    source: describeSource(),
    load: { before, after: loadAverage() },
    targets,
    data,
  };
  console.log("");
  printTargets(targets);
  console.log(`load average ${result.load.before} → ${result.load.after}; results: ${writeResult(result)}`);
  return result;
}
