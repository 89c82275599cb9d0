import path from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const REPO_ROOT = path.resolve(BENCH_DIR, "..");
/** Git-ignored: results, logs, profiles, scratch databases, source snapshots. */
export const RESULTS_DIR = path.join(BENCH_DIR, "results");
export const LOGS_DIR = path.join(RESULTS_DIR, "logs");
export const PROFILES_DIR = path.join(RESULTS_DIR, "profiles");
export const TMP_DIR = path.join(RESULTS_DIR, "tmp");

/**
 * Where the code under test lives: the working tree, or a snapshot of a commit made by
 * `--source=head` (bench/lib/source.ts). Read at call time: the flag is parsed after imports.
 */
export const sourceRoot = () => process.env.BENCH_SOURCE_ROOT ?? REPO_ROOT;
export const webDir = () => path.join(sourceRoot(), "web");

/** `2026-11-25T02-14-17-123Z`: sortable and safe in file names. */
export function timestampForFile(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, "-");
}
