#!/usr/bin/env node
// Proves vercel.json builds: runs `vercel build` offline (no login: a stub project link), checks
// that .vercel/output holds the Next.js functions and pages, then boots the API function the way
// Vercel would and asks it a few questions. Run after `npm ci`: `npm run test:deploy`.
//
// IMPORTANT: it writes web/.next (like `npm run build -w web`) and .vercel/ (git-ignored). Vercel's
// install step (vercel.json's `npm ci`) is skipped: it would replace the node_modules this script
// and the CLI run from, and CI has just run that very command. `--install` runs it too.
import { spawn } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const outputDir = path.join(root, ".vercel", "output");
const logFile = path.join(root, ".vercel", "check-build.log");
const withInstall = process.argv.includes("--install");
const BUILD_TIMEOUT_MS = Number(process.env.VERCEL_CHECK_TIMEOUT_MS ?? 15 * 60_000);

// What a project imported with the defaults has: Root Directory is the repo root, so vercel.json
// (framework, install, build, output) decides everything.
const STUB_PROJECT = {
  projectId: "prj_local",
  orgId: "team_local",
  settings: {
    framework: null,
    rootDirectory: null,
    installCommand: null,
    buildCommand: null,
    outputDirectory: null,
    devCommand: null,
    directoryListing: false,
  },
};

// Each must be a function whose files hold the compiled route. `smoke`: a request the booted
// function must answer with the route handler's own error, without a database or a login.
const EXPECTED = [
  {
    route: "api/auth/login",
    file: "server/app/api/auth/login/route.js",
    smoke: { method: "POST", body: "x", headers: { "content-type": "text/plain" }, status: 415, code: "unsupported_media_type" },
  },
  {
    route: "api/chat/send",
    file: "server/app/api/chat/send/route.js",
    smoke: { method: "POST", body: "{}", headers: { "content-type": "application/json" }, status: 401, code: "unauthorized" },
  },
  {
    route: "api/chat/history",
    file: "server/app/api/chat/history/route.js",
    query: "?with=00000000-0000-4000-8000-000000000000",
    smoke: { method: "GET", status: 401, code: "unauthorized" },
  },
  { route: "auth/confirm", file: "server/app/auth/confirm/route.js" },
  { route: "login", file: "server/app/login/page.js" },
  { route: "chat/[[...peer]]", file: "server/app/chat/[[...peer]]/page.js" },
  {
    route: "api/cron/push-outbox",
    file: "server/app/api/cron/push-outbox/route.js",
    // No CRON_SECRET in the smoke env: the sweep refuses everyone.
    smoke: { method: "GET", status: 401, code: "unauthorized" },
  },
];

// Production settings for the smoke requests: Supabase mode (what Vercel runs, having no disk),
// pointed at nothing; none of the smoke requests reaches it.
const SMOKE_ENV = {
  NODE_ENV: "production",
  APP_URL: "https://chat.example.com",
  WEBHOOK_SECRET: "whsec_dmVyY2VsLWJ1aWxkLWNoZWNrLW5vdC1hLXJlYWwtc2VjcmV0",
  METRICS_TOKEN: "vercel-build-check-metrics-token",
  NEXT_PUBLIC_SUPABASE_URL: "http://127.0.0.1:9",
  NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: "sb_publishable_vercel_build_check",
  SOCKET_SERVER_URL: "http://127.0.0.1:9",
  SOCKET_PUBLIC_URL: "https://socket.example.com",
  LOG_LEVEL: "warn",
};

const failures = [];
const fail = (message) => failures.push(message);
const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;

function vercelBin() {
  try {
    const require = createRequire(path.join(root, "package.json"));
    const pkg = require("vercel/package.json");
    const bin = typeof pkg.bin === "string" ? pkg.bin : pkg.bin.vercel;
    return { bin: path.join(path.dirname(require.resolve("vercel/package.json")), bin), version: pkg.version };
  } catch {
    console.error("✗ The vercel CLI is not installed. Run `npm ci` at the repo root first.");
    process.exit(1);
  }
}

/** Writes the stub link; a real one (from `vercel link`) is put back afterwards. */
function linkStubProject() {
  const file = path.join(root, ".vercel", "project.json");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const previous = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
  fs.writeFileSync(file, JSON.stringify(STUB_PROJECT, null, 2) + "\n");
  return () => {
    if (previous !== undefined && !previous.includes(`"${STUB_PROJECT.projectId}"`)) fs.writeFileSync(file, previous);
  };
}

/** vercel.json as is, or (without --install) with an empty install command, which Vercel skips. */
function buildConfigArgs() {
  if (withInstall) return [];
  const config = JSON.parse(fs.readFileSync(path.join(root, "vercel.json"), "utf8"));
  const file = path.join(root, ".vercel", "vercel.check.json");
  fs.writeFileSync(file, JSON.stringify({ ...config, installCommand: "" }, null, 2) + "\n");
  return ["--local-config", file];
}

function runBuild(bin) {
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", VERCEL_TELEMETRY_DISABLED: "1", FORCE_COLOR: "0" };
  // vercel.json's outputDirectory is web/.next: a test build's NEXT_DIST_DIR must not move it.
  delete env.NEXT_DIST_DIR;
  const log = fs.openSync(logFile, "w");
  const args = [bin, "build", "--yes", ...buildConfigArgs()];
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ["ignore", log, log], detached: true });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      fail(`vercel build did not finish within ${BUILD_TIMEOUT_MS / 1000}s`);
      process.kill(-child.pid, "SIGKILL");
    }, BUILD_TIMEOUT_MS);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      fs.closeSync(log);
      resolve(code === 0 ? true : (fail(`vercel build exited with ${signal ?? code}`), false));
    });
  });
}

function printLogTail(lines = 60) {
  const text = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "";
  console.error(`--- last ${lines} lines of ${path.relative(root, logFile)} ---`);
  console.error(text.split("\n").slice(-lines).join("\n"));
}

/** The function serving `route`, resolved (Vercel groups routes into shared functions by symlink). */
function readFunction(route) {
  const link = path.join(outputDir, "functions", `${route}.func`);
  if (!fs.existsSync(link)) return undefined;
  const dir = fs.realpathSync(link);
  const config = JSON.parse(fs.readFileSync(path.join(dir, ".vc-config.json"), "utf8"));
  return { dir, config };
}

function checkOutput() {
  const configFile = path.join(outputDir, "config.json");
  if (!fs.existsSync(configFile)) return fail(".vercel/output/config.json is missing: not a Build Output API v3 result");
  const { version } = JSON.parse(fs.readFileSync(configFile, "utf8"));
  if (version !== 3) fail(`.vercel/output/config.json has version ${version}, expected 3`);
  const staticDir = path.join(outputDir, "static", "_next", "static");
  if (!fs.existsSync(staticDir) || fs.readdirSync(staticDir).length === 0) fail("no client assets in .vercel/output/static/_next/static");
  if (!readFunction("_middleware")) fail("no _middleware.func: web/proxy.ts (session refresh) is not deployed");
  const { crons = [] } = JSON.parse(fs.readFileSync(configFile, "utf8"));
  if (!crons.some((cron) => cron.path === "/api/cron/push-outbox")) fail("no cron for /api/cron/push-outbox in .vercel/output/config.json");
  // Vercel's Hobby plan refuses to deploy a cron that runs more than once a day.
  for (const cron of crons)
    if (!/^\d+ \d+ \* \* \*$/.test(cron.schedule)) fail(`cron ${cron.path} runs more than daily (${cron.schedule}): Hobby deploys fail`);

  for (const { route, file } of EXPECTED) {
    const fn = readFunction(route);
    if (!fn) {
      fail(`no function for /${route} (.vercel/output/functions/${route}.func)`);
      continue;
    }
    const { dir, config } = fn;
    if (!String(config.runtime).startsWith("nodejs")) fail(`/${route}: runtime is ${config.runtime}, expected Node.js`);
    if (!config.handler || !fs.existsSync(path.join(dir, config.handler))) fail(`/${route}: handler ${config.handler} is missing`);
    // Locally the files stay in place and are listed in filePathMap; on Vercel they are copied in.
    const files = Object.keys(config.filePathMap ?? {});
    const bundled =
      files.some((f) => f.endsWith(`.next/${file}`)) || fs.existsSync(path.join(dir, path.dirname(config.handler), ".next", file));
    if (!bundled) fail(`/${route}: the function does not contain .next/${file}`);
  }
}

/** Copies a function's files (filePathMap) beside its launcher, as Vercel's upload would. */
function assembleFunction({ dir, config }, dest) {
  fs.cpSync(dir, dest, { recursive: true, dereference: true });
  for (const [to, from] of Object.entries(config.filePathMap ?? {})) {
    const source = path.join(root, from);
    const target = path.join(dest, to);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (fs.lstatSync(source).isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(source), target);
    else fs.copyFileSync(source, target);
  }
}

// Loads the launcher as Vercel's Node.js runtime does and serves it on a local port.
const SERVE = `
const http = require("node:http");
const handler = require(process.argv[1]);
const server = http.createServer((req, res) => handler(req, res));
server.listen(0, "127.0.0.1", () => process.send(server.address().port));
`;

async function smokeTest() {
  const byDir = new Map();
  for (const expected of EXPECTED.filter((e) => e.smoke)) {
    const fn = readFunction(expected.route);
    if (!fn) continue;
    if (!byDir.has(fn.dir)) byDir.set(fn.dir, { fn, routes: [] });
    byDir.get(fn.dir).routes.push(expected);
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "vercel-fn-"));
  try {
    for (const [index, { fn, routes }] of [...byDir.values()].entries()) {
      const dest = path.join(scratch, String(index));
      assembleFunction(fn, dest);
      const launcher = path.join(dest, fn.config.handler);
      const child = spawn(process.execPath, ["-e", SERVE, launcher], {
        cwd: dest,
        env: { PATH: process.env.PATH, ...SMOKE_ENV },
        stdio: ["ignore", "pipe", "pipe", "ipc"],
      });
      let output = "";
      child.stdout.on("data", (chunk) => (output += chunk));
      child.stderr.on("data", (chunk) => (output += chunk));
      try {
        const port = await new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("did not start within 30s")), 30_000);
          child.once("message", (message) => (clearTimeout(timer), resolve(message)));
          child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`exited with ${code}`))));
        });
        for (const { route, query = "", smoke } of routes) {
          const res = await fetch(`http://127.0.0.1:${port}/${route}${query}`, {
            method: smoke.method,
            headers: smoke.headers,
            body: smoke.body,
            signal: AbortSignal.timeout(30_000),
          });
          const text = await res.text();
          let code;
          try {
            code = JSON.parse(text).error?.code;
          } catch {}
          if (res.status !== smoke.status || code !== smoke.code) {
            fail(
              `/${route} booted from .vercel/output answered ${res.status} ${text.slice(0, 200)}; expected ${smoke.status} ${smoke.code}`,
            );
          }
        }
      } catch (error) {
        fail(`the function ${path.relative(outputDir, fn.dir)} could not serve requests: ${error.message}\n${output.slice(-2000)}`);
      } finally {
        child.kill("SIGKILL");
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

const { bin, version } = vercelBin();
console.log(
  `vercel-build-check: vercel ${version}, ${withInstall ? "with" : "without"} the install step; log in ${path.relative(root, logFile)}`,
);
const restoreLink = linkStubProject();
try {
  const built = await runBuild(bin);
  console.log(`vercel-build-check: build ${built ? "done" : "FAILED"} after ${seconds()}`);
  if (built) {
    checkOutput();
    if (failures.length === 0) await smokeTest();
  }
} finally {
  restoreLink();
}

if (failures.length > 0) {
  printLogTail();
  console.error(`\n✗ vercel build check failed (${seconds()}):`);
  for (const message of failures) console.error(`  - ${message}`);
  process.exit(1);
}
console.log(
  `✓ vercel build check passed in ${seconds()}: ${EXPECTED.map((e) => `/${e.route}`).join(", ")} are functions; the API answers from .vercel/output`,
);
