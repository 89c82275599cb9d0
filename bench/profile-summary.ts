/**
 * Summarises a V8 .cpuprofile (from `--cpu-prof`): the top frames by self time, and self time
 * grouped by package, so a miss can be explained without opening DevTools.
 *
 *   node --import tsx bench/profile-summary.ts bench/results/profiles/<file>.cpuprofile [--top=25]
 *   node --import tsx bench/profile-summary.ts --latest=socket-server [--stacks] [--inclusive] [--skip-seconds=3]   (newest profile of that server)
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "./lib/cli.js";
import { PROFILES_DIR, REPO_ROOT } from "./lib/paths.js";
import { printTable, fmt } from "./lib/report.js";
import { runMain } from "./lib/processes.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FrameCost {
  frame: string;
  location: string;
  selfMs: number;
  selfShare: number;
}

/** Self time per frame and per package, biggest first. */
export function summarizeProfile(file: string, skipMs = 0) {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const selfUs = new Map<number, number>();
  // Samples before `skipMs` (start-up: module loading, connection handshakes) can be left out.
  let elapsedUs = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    elapsedUs += delta;
    if (elapsedUs >= skipMs * 1000) selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  const totalUs = profile.endTime - profile.startTime;

  const frames = new Map<string, FrameCost>();
  const packages = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id)!;
    const location = shortLocation(callFrame.url, callFrame.lineNumber);
    const name = shortName(callFrame.functionName || "(anonymous)");
    const key = `${name} ${location}`;
    const entry = frames.get(key) ?? { frame: name, location, selfMs: 0, selfShare: 0 };
    entry.selfMs += us / 1000;
    frames.set(key, entry);
    const pkg = packageOf(callFrame.url, name);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us / 1000);
  }
  const sampledMs = [...selfUs.values()].reduce((sum, us) => sum + us, 0) / 1000;
  const idleMs = [...frames.values()].filter((entry) => entry.frame === "(idle)").reduce((sum, entry) => sum + entry.selfMs, 0);
  const busyMs = sampledMs - idleMs;
  for (const entry of frames.values()) entry.selfShare = entry.selfMs / busyMs;
  const top = [...frames.values()].filter((entry) => entry.frame !== "(idle)").sort((a, b) => b.selfMs - a.selfMs);
  const byPackage = [...packages.entries()]
    .filter(([name]) => name !== "(idle)")
    .map(([name, ms]) => ({ name, ms, share: ms / busyMs }))
    .sort((a, b) => b.ms - a.ms);
  // Inclusive ("total") time per function: each sample counts once for every distinct frame on its stack.
  const inclusive = new Map<string, { frame: string; location: string; totalMs: number }>();
  for (const [id, us] of selfUs) {
    if (byId.get(id)!.callFrame.functionName === "(idle)") continue;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const { functionName, url, lineNumber } = byId.get(at)!.callFrame;
      if (functionName === "(root)") break;
      const location = shortLocation(url, lineNumber);
      const frame = shortName(functionName || "(anonymous)");
      const key = `${frame} ${location}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = inclusive.get(key) ?? { frame, location, totalMs: 0 };
      entry.totalMs += us / 1000;
      inclusive.set(key, entry);
    }
  }
  const totals = [...inclusive.values()].sort((a, b) => b.totalMs - a.totalMs);

  // The heaviest call paths (leaf first), to tell e.g. which writes a `writev` belongs to.
  const stacks = [...selfUs.entries()]
    .filter(([id]) => byId.get(id)!.callFrame.functionName !== "(idle)")
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([id, us]) => {
      const chain: string[] = [];
      for (let at: number | undefined = id; at !== undefined && chain.length < 10; at = parentOf.get(at)) {
        const { functionName, url, lineNumber } = byId.get(at)!.callFrame;
        if (functionName === "(root)") break;
        chain.push(`${shortName(functionName || "(anonymous)")} ${shortLocation(url, lineNumber)}`.trim());
      }
      return { selfMs: us / 1000, share: us / 1000 / busyMs, chain };
    });
  return { file, wallMs: totalUs / 1000, busyMs, top, byPackage, stacks, totals };
}

/** Bundlers can give a function a name thousands of characters long. */
const shortName = (name: string) => (name.length > 60 ? `${name.slice(0, 57)}…` : name);

function shortLocation(url: string, line: number): string {
  if (!url) return "";
  const clean = url.replace(/^file:\/\//, "").replace(`${REPO_ROOT}/`, "");
  return `${clean.replace(/^.*node_modules\//, "~/")}:${line + 1}`;
}

function packageOf(url: string, name: string): string {
  if (!url) return name.startsWith("(") ? name : "(native)";
  if (url.startsWith("node:")) return "node:internal";
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url.includes(".next")) return "(next bundle)";
  return url
    .replace(/^file:\/\//, "")
    .replace(`${REPO_ROOT}/`, "")
    .split("/")
    .slice(0, 2)
    .join("/");
}

/** The main thread's profile from the newest bench/results/profiles/<prefix>-<time>/ folder. */
export function newestProfile(prefix: string): string {
  const dirs = readdirSync(PROFILES_DIR)
    .filter((name) => name.startsWith(`${prefix}-`))
    .map((name) => path.join(PROFILES_DIR, name))
    .filter((dir) => statSync(dir).isDirectory())
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const dir of dirs) {
    // V8 names them CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; the main thread is 0.
    const main = readdirSync(dir).find((name) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(name));
    if (main) return path.join(dir, main);
  }
  throw new Error(`no main-thread profile in ${PROFILES_DIR}/${prefix}-*/ (did the server exit cleanly?)`);
}

export function printProfileSummary(
  file: string,
  { top: topCount = 25, stacks: showStacks = false, inclusive: showInclusive = false, skipMs = 0 } = {},
) {
  const summary = summarizeProfile(file, skipMs);
  console.log(`\n${path.relative(REPO_ROOT, file)}: ${fmt(summary.wallMs / 1000)} s wall, ${fmt(summary.busyMs / 1000)} s on CPU`);
  printTable(
    "Top frames by self time",
    ["self ms", "% of busy", "function", "where"],
    summary.top.slice(0, topCount).map((entry) => [Math.round(entry.selfMs), fmt(entry.selfShare * 100), entry.frame, entry.location]),
  );
  printTable(
    "Self time by package",
    ["self ms", "% of busy", "package"],
    summary.byPackage.slice(0, 15).map((entry) => [Math.round(entry.ms), fmt(entry.share * 100), entry.name]),
  );
  if (showInclusive) {
    printTable(
      "Top frames by total (inclusive) time",
      ["total ms", "% of busy", "function", "where"],
      summary.totals
        .slice(0, topCount)
        .map((entry) => [Math.round(entry.totalMs), fmt((entry.totalMs / summary.busyMs) * 100), entry.frame, entry.location]),
    );
  }
  if (showStacks) {
    console.log("\nHeaviest call paths (leaf first)");
    for (const stack of summary.stacks)
      console.log(`${fmt(stack.selfMs, 0)} ms (${fmt(stack.share * 100)}%)  ${stack.chain.join("  <  ")}`);
  }
  return summary;
}

runMain(import.meta.url, async () => {
  const args = parseArgs(process.argv.slice(2).filter((arg) => arg.startsWith("--")));
  const positional = process.argv.slice(2).find((arg) => !arg.startsWith("--"));
  const latest = args.string("latest");
  const file = positional ?? (latest ? newestProfile(latest) : undefined);
  if (!file) throw new Error("usage: profile-summary.ts <file.cpuprofile> | --latest=<server name>");
  printProfileSummary(file, {
    top: args.number("top", 25),
    stacks: args.has("stacks"),
    inclusive: args.has("inclusive"),
    skipMs: args.has("skip-seconds") ? args.number("skip-seconds", 0) * 1000 : 0,
  });
});
