import path from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const REPO_ROOT = path.resolve(BENCH_DIR, "..");
export const WEB_DIR = path.join(REPO_ROOT, "web");
/** Git-ignored: results, logs, profiles, scratch databases. */
export const RESULTS_DIR = path.join(BENCH_DIR, "results");
export const LOGS_DIR = path.join(RESULTS_DIR, "logs");
export const PROFILES_DIR = path.join(RESULTS_DIR, "profiles");
export const TMP_DIR = path.join(RESULTS_DIR, "tmp");

/** `2026-11-25T02-14-17-123Z`: sortable and safe in file names. */
export function timestampForFile(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, "-");
}
