/**
 * The honest floor for the web app's benchmarks: a tiny Next.js app, generated and built here
 * with the repo's own Next.js (same version, production build, `next start`), whose routes do
 * the least each request must do, with the same database drivers and pool size (10):
 *
 *   GET|POST /blank          (a) a blank route handler
 *   POST     /send           (b) the raw INSERT of a message, then one `fetch` to a stub push endpoint
 *   GET      /history        (c) the raw keyset query for a page of 50
 *   GET      /page           a blank client page (one useState button): the framework's own
 *                            first-load JavaScript, the floor of the page-weight benchmark
 *
 * It lives in bench/results/baseline-app (git-ignored) and is rebuilt when this file or Next's
 * version changes.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { REPO_ROOT, RESULTS_DIR } from "./paths.js";
import { findFreePort } from "./ports.js";
import { runNodeScript, startProcess, waitForHttp, type ManagedProcess } from "./processes.js";
import type { DatabaseTarget } from "./web-app.js";

const APP_DIR = path.join(RESULTS_DIR, "baseline-app");
const NEXT_BIN = path.join(REPO_ROOT, "node_modules", "next", "dist", "bin", "next");
export const BASELINE_PAGE = 50;

/** The messages columns and indexes, no trigger, no RLS (the same table e2e-send's raw INSERT baseline uses). */
export const COMPARABLE_TABLE = `
  create table if not exists bench_raw_messages (
    id uuid primary key default gen_random_uuid(),
    conversation_id uuid not null,
    seq bigint not null,
    sender_id uuid not null,
    recipient_id uuid not null,
    content text not null,
    client_id uuid not null,
    created_at timestamptz not null default now(),
    unique (conversation_id, seq),
    unique (sender_id, client_id)
  );
  create index if not exists bench_raw_messages_recipient_idx on bench_raw_messages (recipient_id);`;

const FILES: Record<string, string> = {
  "package.json": `${JSON.stringify({ private: true, type: "module" }, null, 2)}\n`,
  "next.config.mjs": `export default { poweredByHeader: false, serverExternalPackages: ["@electric-sql/pglite"] };\n`,
  "lib/db.js": `import pg from "pg";

const TABLE = ${JSON.stringify(COMPARABLE_TABLE)};

async function open() {
  if (process.env.DATABASE_URL) {
    const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE || 10) });
    await pool.query(TABLE);
    return { query: async (text, params) => (await pool.query(text, params)).rows };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const lite = await PGlite.create(process.env.DATA_DIR);
  await lite.exec(TABLE);
  return { query: async (text, params) => (await lite.query(text, params)).rows };
}

export function db() {
  globalThis.__baselineDb ??= open();
  return globalThis.__baselineDb;
}
`,
  "app/layout.js": `export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
`,
  "app/page/page.js": `"use client";
import { useState } from "react";

export default function Page() {
  const [count, setCount] = useState(0);
  return <button onClick={() => setCount(count + 1)}>{count}</button>;
}
`,
  "app/blank/route.js": `export const dynamic = "force-dynamic";

export function GET() {
  return Response.json({ data: null });
}

export const POST = GET;
`,
  "app/send/route.js": `import { db } from "../../lib/db.js";

export const dynamic = "force-dynamic";

export async function POST(request) {
  const input = await request.json();
  const [row] = await (await db()).query(
    "insert into bench_raw_messages (conversation_id, seq, sender_id, recipient_id, content, client_id) values (gen_random_uuid(), 1, $1, $2, $3, $4) returning *",
    [input.senderId, input.recipientId, input.content, input.clientId],
  );
  const push = await fetch(process.env.PUSH_URL, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ type: "message.created", data: row }),
  });
  await push.arrayBuffer();
  return Response.json({ data: row }, { status: 201 });
}
`,
  "app/history/route.js": `import { db } from "../../lib/db.js";

export const dynamic = "force-dynamic";

export async function GET(request) {
  const params = request.nextUrl.searchParams;
  const messages = await (await db()).query(
    "select * from public.messages where conversation_id = $1 and seq < $2 order by seq desc limit ${BASELINE_PAGE}",
    [params.get("conversation"), params.get("before")],
  );
  return Response.json({ data: { messages } });
}
`,
};

function nextVersion(): string {
  return (JSON.parse(readFileSync(path.join(REPO_ROOT, "node_modules", "next", "package.json"), "utf8")) as { version: string }).version;
}

/** Writes and builds the baseline app unless the build on disk is of these very files. */
export async function ensureBaselineBuild(): Promise<{ built: boolean; seconds: number; nextVersion: string }> {
  const version = nextVersion();
  const hash = createHash("sha256").update(JSON.stringify({ FILES, version })).digest("hex");
  const stampFile = path.join(APP_DIR, ".bench-build");
  if (existsSync(path.join(APP_DIR, ".next", "BUILD_ID")) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === hash) {
    return { built: false, seconds: 0, nextVersion: version };
  }
  console.log(`baseline: building the bare Next.js ${version} app in ${path.relative(REPO_ROOT, APP_DIR)}…`);
  rmSync(APP_DIR, { recursive: true, force: true });
  for (const [file, text] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(APP_DIR, file)), { recursive: true });
    writeFileSync(path.join(APP_DIR, file), text);
  }
  const started = performance.now();
  await runNodeScript({
    name: "baseline-build",
    args: [NEXT_BIN, "build"],
    cwd: APP_DIR,
    env: { NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" },
    timeoutMs: 10 * 60_000,
  });
  writeFileSync(stampFile, hash);
  const seconds = (performance.now() - started) / 1000;
  console.log(`baseline: built in ${seconds.toFixed(0)} s`);
  return { built: true, seconds, nextVersion: version };
}

export interface StartedBaselineApp {
  url: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/** `next start` on the baseline app (production), on a free port, ready once /blank answers. */
export async function startBaselineApp({
  database,
  pushUrl = "http://127.0.0.1:9",
  cpuProf = false,
}: {
  database: DatabaseTarget;
  pushUrl?: string;
  cpuProf?: boolean;
}): Promise<StartedBaselineApp> {
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const server = startProcess({
    name: `baseline-${database.mode}`,
    args: [NEXT_BIN, "start", "-p", String(port), "-H", "127.0.0.1"],
    cwd: APP_DIR,
    cpuProf,
    env: {
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      DATABASE_URL: database.mode === "postgres" ? database.databaseUrl : undefined,
      DATA_DIR: database.mode === "embedded" ? database.dataDir : undefined,
      DATABASE_POOL_SIZE: "10",
      PUSH_URL: pushUrl,
    },
  });
  await waitForHttp(`${url}/blank`, server, 120_000);
  return { url, process: server, stop: () => server.stop() };
}

/** The stub push endpoint for baseline (b): answers every POST with 204 once the body is read. */
export async function startStubPushEndpoint(): Promise<{ url: string; received(): number; close(): Promise<void> }> {
  let received = 0;
  const server = http.createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      received++;
      response.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/push`,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
