import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BENCH_DIR, REPO_ROOT, TMP_DIR, sourceRoot, timestampForFile, webDir } from "./paths.js";
import { findFreePort } from "./ports.js";
import { runNodeScript, startProcess, waitForHttp, type ManagedProcess } from "./processes.js";
import { newSessionToken, sha256Hex } from "./secrets.js";
import type { SeedResult, SeedSpec, SeedUser } from "./seed-database.js";

/** Beside the developer's web/.next, never over it (web/next.config.ts reads NEXT_DIST_DIR). */
export const DIST_DIR = ".next-bench";
const NEXT_BIN = path.join(REPO_ROOT, "node_modules", "next", "dist", "bin", "next");
// What the production build is made from; a change in any of them means a rebuild.
const BUILD_INPUTS = [
  "app",
  "components",
  "lib",
  "server",
  "proxy.ts",
  "instrumentation.ts",
  "next.config.ts",
  "package.json",
  "tsconfig.json",
];

function newestMtime(entry: string): number {
  const stat = statSync(entry, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return /\.test\.tsx?$/.test(entry) ? 0 : stat.mtimeMs;
  return Math.max(0, ...readdirSync(entry).map((name) => newestMtime(path.join(entry, name))));
}

/**
 * Builds web/ for production into web/.next-bench unless a build newer than every source is
 * there (`--rebuild` forces one). `next build` adds its dist folder's type globs to web/tsconfig.json and rewrites
 * web/next-env.d.ts; both are put back afterwards when that is all that changed, and the
 * folder gets its own `.gitignore`, so a bench run leaves `git status` as it found it.
 */
export async function ensureBuild({ force = false } = {}): Promise<{ built: boolean; seconds: number }> {
  const distPath = path.join(webDir(), DIST_DIR);
  const buildId = path.join(distPath, "BUILD_ID");
  const builtAt = statSync(buildId, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const sourcesAt = Math.max(...BUILD_INPUTS.map((entry) => newestMtime(path.join(webDir(), entry))));
  if (!force && builtAt > sourcesAt) {
    console.log(`web: reusing the production build in ${path.relative(REPO_ROOT, distPath)} (newer than every source)`);
    return { built: false, seconds: 0 };
  }
  console.log(`web: building for production into ${path.relative(REPO_ROOT, distPath)} (a minute or two)…`);
  const tsconfigPath = path.join(webDir(), "tsconfig.json");
  const nextEnvPath = path.join(webDir(), "next-env.d.ts");
  const tsconfigBefore = readFileSync(tsconfigPath, "utf8");
  const tsconfigStat = statSync(tsconfigPath);
  const nextEnvBefore = existsSync(nextEnvPath) ? readFileSync(nextEnvPath, "utf8") : undefined;
  const started = performance.now();
  try {
    // Compile, then prerender: the two halves of `next build` without its type check. The
    // bench measures the running app; `npm run typecheck` is the type gate, and a tree that
    // others are editing is often mid-change in types that do not affect the runtime.
    for (const mode of ["compile", "generate"]) {
      await runNodeScript({
        name: `next-build-${mode}`,
        args: [NEXT_BIN, "build", `--experimental-build-mode=${mode}`],
        cwd: webDir(),
        env: { NEXT_DIST_DIR: DIST_DIR, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" },
        timeoutMs: 15 * 60_000,
      });
    }
  } finally {
    // With its old mtime too: tsconfig.json is a build input, and a restore must not look like an edit.
    if (restoreTsconfig(tsconfigPath, tsconfigBefore)) utimesSync(tsconfigPath, tsconfigStat.atime, tsconfigStat.mtime);
    if (nextEnvBefore === undefined) rmSync(nextEnvPath, { force: true });
    else if (readFileSync(nextEnvPath, "utf8") !== nextEnvBefore) writeFileSync(nextEnvPath, nextEnvBefore);
  }
  if (existsSync(distPath)) writeFileSync(path.join(distPath, ".gitignore"), "# Benchmark build (bench/lib/web-app.ts)\n*\n");
  const seconds = (performance.now() - started) / 1000;
  console.log(`web: built in ${seconds.toFixed(0)} s`);
  return { built: true, seconds };
}

/** Undoes next build's additions of `.next-bench/…` globs, but only if nothing else changed. True when restored. */
function restoreTsconfig(file: string, before: string): boolean {
  const after = readFileSync(file, "utf8");
  if (after === before) return false;
  try {
    const config = JSON.parse(after) as { include?: string[] };
    config.include = config.include?.filter((entry) => !entry.startsWith(`${DIST_DIR}/`));
    if (JSON.stringify(config) === JSON.stringify(JSON.parse(before))) {
      writeFileSync(file, before);
      return true;
    }
  } catch {
    // Not plain JSON any more: leave it alone.
  }
  console.warn("web: web/tsconfig.json changed during the build in more than next's type globs; left as is");
  return false;
}

export interface BenchUser extends SeedUser {
  /** The `chat_session` cookie value. */
  token: string;
}

export function createBenchUsers(count: number, prefix: string): BenchUser[] {
  return Array.from({ length: count }, (_, index) => {
    const token = newSessionToken();
    return { id: randomUUID(), email: `${prefix}-${index}@bench.test`, token, tokenHash: sha256Hex(token) };
  });
}

export type DatabaseTarget = { mode: "embedded"; dataDir: string } | { mode: "postgres"; databaseUrl: string };

/** Seeds users (and optionally a long conversation) in its own process; see seed-database.ts. */
export async function seedDatabase(target: DatabaseTarget, users: SeedUser[], history?: SeedSpec["history"]): Promise<SeedResult> {
  mkdirSync(TMP_DIR, { recursive: true });
  const stamp = timestampForFile();
  const specFile = path.join(TMP_DIR, `seed-${stamp}.json`);
  const resultFile = path.join(TMP_DIR, `seed-${stamp}-result.json`);
  const spec: SeedSpec = {
    ...target,
    sourceRoot: sourceRoot(),
    migrationsDir: path.join(sourceRoot(), "supabase", "migrations"),
    users: users.map(({ id, email, tokenHash }) => ({ id, email, tokenHash })),
    ...(history && { history }),
  };
  writeFileSync(specFile, JSON.stringify(spec));
  try {
    await runNodeScript({
      name: "seed-database",
      nodeFlags: ["--conditions=react-server", "--import", "tsx"],
      args: [path.join(BENCH_DIR, "lib", "seed-database.ts"), specFile, resultFile],
      cwd: webDir(),
      timeoutMs: 15 * 60_000,
    });
    return JSON.parse(readFileSync(resultFile, "utf8")) as SeedResult;
  } finally {
    rmSync(specFile, { force: true });
    rmSync(resultFile, { force: true });
  }
}

export interface StartedWebApp {
  url: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export interface StartWebAppOptions {
  database: DatabaseTarget;
  jwtSecret: string;
  webhookSecret: string;
  socketServerUrl: string;
  /** Extra or overriding env. */
  env?: Record<string, string | undefined>;
  /** Default: a free one. */
  port?: number;
  cpuProf?: boolean;
}

/** `next start` on the bench build, in production mode, on a free port; resolves once /readyz is 200. */
export async function startWebApp({
  database,
  jwtSecret,
  webhookSecret,
  socketServerUrl,
  env = {},
  port: chosenPort,
  cpuProf = false,
}: StartWebAppOptions): Promise<StartedWebApp> {
  const port = chosenPort ?? (await findFreePort());
  const url = `http://127.0.0.1:${port}`;
  const server = startProcess({
    name: `web-${database.mode}`,
    args: [NEXT_BIN, "start", "-p", String(port), "-H", "127.0.0.1"],
    cwd: webDir(),
    cpuProf,
    env: {
      NODE_ENV: "production",
      NEXT_DIST_DIR: DIST_DIR,
      NEXT_TELEMETRY_DISABLED: "1",
      APP_URL: url,
      AUTH_JWT_SECRET: jwtSecret,
      WEBHOOK_SECRET: webhookSecret,
      // Required in production; never used, because sessions are seeded.
      SMTP_URL: "smtp://127.0.0.1:1",
      // Required in production; the bench never scrapes.
      METRICS_TOKEN: "bench-metrics-token-not-scraped",
      SOCKET_SERVER_URL: socketServerUrl,
      SOCKET_PUBLIC_URL: socketServerUrl,
      // The product allows 60 sends per 10 s per user; the bench sends far more.
      RATE_LIMIT_SEND: "1000000/10",
      LOG_LEVEL: "warn",
      LOG_PRETTY: "0",
      DATA_DIR: database.mode === "embedded" ? database.dataDir : undefined,
      DATABASE_URL: database.mode === "postgres" ? database.databaseUrl : undefined,
      DATABASE_POOL_SIZE: "10",
      REDIS_URL: undefined,
      NEXT_PUBLIC_SUPABASE_URL: undefined,
      ...env,
    },
  });
  await waitForHttp(`${url}/readyz`, server, 120_000);
  return { url, process: server, stop: () => server.stop() };
}

/** A fresh folder for an embedded database, removed by the returned function. */
export function scratchDataDir(purpose: string): { dataDir: string; remove(): void } {
  const dataDir = path.join(TMP_DIR, `${purpose}-${timestampForFile()}`);
  mkdirSync(dataDir, { recursive: true });
  return { dataDir, remove: () => rmSync(dataDir, { recursive: true, force: true }) };
}
