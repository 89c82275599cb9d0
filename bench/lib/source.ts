import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT, RESULTS_DIR } from "./paths.js";

/**
 * `--source=worktree` (default) benchmarks the working tree. `--source=head` (or any commit,
 * `--source=4827e2c`) benchmarks that commit instead, from a snapshot in
 * bench/results/source-<sha>/ made with `git archive` (read-only for the repo): useful while
 * the working tree is mid-edit, or to compare commits. Packages still resolve from the repo's
 * node_modules, three folders up, and from a workspace's own (npm leaves a package there when
 * another version is hoisted), linked into the snapshot.
 */
export function useSource(kind: string | undefined): string {
  if (kind === undefined || kind === "worktree") return REPO_ROOT;
  if (!/^[\w./~^-]+$/.test(kind)) throw new Error(`--source must be worktree or a commit, not ${kind}`);
  const ref = kind === "head" ? "HEAD" : kind;
  const sha = execFileSync("git", ["-C", REPO_ROOT, "rev-parse", "--verify", `${ref}^{commit}`], { encoding: "utf8" }).trim();
  const dir = path.join(RESULTS_DIR, `source-${sha.slice(0, 12)}`);
  if (!existsSync(path.join(dir, ".complete"))) {
    mkdirSync(dir, { recursive: true });
    // No lockfile in the snapshot: Next then takes the repo as its root and finds node_modules there.
    execFileSync("sh", ["-c", `git -C "${REPO_ROOT}" archive --format=tar ${sha} web socket-server supabase | tar -x -C "${dir}"`]);
    for (const workspace of ["web", "socket-server"]) {
      const modules = path.join(REPO_ROOT, workspace, "node_modules");
      if (existsSync(modules)) symlinkSync(modules, path.join(dir, workspace, "node_modules"), "dir");
    }
    writeFileSync(path.join(dir, ".complete"), `${sha}\n`);
  }
  process.env.BENCH_SOURCE_ROOT = dir;
  console.log(`source: commit ${sha.slice(0, 12)} (snapshot in ${path.relative(REPO_ROOT, dir)})`);
  return dir;
}

/** The commit under test, or "worktree at <HEAD>" (which may carry uncommitted changes). */
export function describeSource(): string {
  const root = process.env.BENCH_SOURCE_ROOT;
  if (root && existsSync(path.join(root, ".complete"))) return readFileSync(path.join(root, ".complete"), "utf8").trim();
  try {
    return `worktree at ${execFileSync("git", ["-C", REPO_ROOT, "rev-parse", "HEAD"], { encoding: "utf8" }).trim()}`;
  } catch {
    return "worktree";
  }
}
