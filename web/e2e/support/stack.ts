import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The real stack for browser tests: the socket server and the production web app, on free ports of 127.0.0.1. */

// One import for test files: the browser side of the harness lives in browser.ts.
export { CHROMIUM_ARGS, CHROMIUM_PATH, checkChromium, fetchMagicLink, launchUser, loginViaMailbox, type BrowserUser } from "./browser";

export const WEB_DIR = fileURLToPath(new URL("../..", import.meta.url));
export const REPO_DIR = path.resolve(WEB_DIR, "..");
export const SOCKET_DIR = path.join(REPO_DIR, "socket-server");
/** The `next` CLI of the web workspace. */
export const NEXT_BIN = path.join(
  path.dirname(createRequire(path.join(WEB_DIR, "package.json")).resolve("next/package.json")),
  "dist/bin/next",
);
const HOST = "127.0.0.1";
const MAX_LOG_LINES = 400;

export interface ManagedProcess {
  readonly name: string;
  readonly running: boolean;
  /** Starts the process (again) and waits until it answers. */
  start(): Promise<void>;
  /** SIGTERM to its whole process group, SIGKILL if it lingers. */
  stop(): Promise<void>;
  /** SIGKILL to its whole process group at once: a crash, for chaos tests. */
  kill(): Promise<void>;
  /** The last lines it printed. */
  logs(): string;
}

export interface Stack {
  /** http://127.0.0.1:<port> of the web app. */
  baseUrl: string;
  /** http://127.0.0.1:<port> of the socket server. */
  socketUrl: string;
  /** The fresh database folder (deleted by stop()). */
  dataDir: string;
  web: ManagedProcess;
  socket: ManagedProcess;
  /** Both processes' recent output, for a failing test's report. */
  logs(): string;
  /** Stops both processes and deletes the data folder. */
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Extra env for both processes. */
  env?: Record<string, string>;
  /** How long each process may take to answer (default 60 s). */
  startTimeoutMs?: number;
  /** The socket server's port (default: a free one), e.g. for a proxy started first. */
  socketPort?: number;
  /** Where the web app sends pushes (default: straight to the socket server), e.g. a fault-injecting proxy. */
  pushUrl?: string;
}

/** A port that was free a moment ago (the OS picks it). */
export async function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fails with a clear message when the production build the harness serves is missing. */
export function assertWebBuild(): void {
  // NEXT_DIST_DIR (see next.config.ts) reaches `next start` through the env as well.
  const distDir = process.env.NEXT_DIST_DIR || ".next";
  if (!existsSync(path.join(WEB_DIR, distDir, "BUILD_ID"))) {
    throw new Error(
      `web/${distDir}/BUILD_ID is missing: the e2e tests serve the production build. Run \`npm run build -w web\` (next build) first.`,
    );
  }
}

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Resolves true once the process answers. */
  isReady(): Promise<boolean>;
}

/** Runs one server process in its own process group, keeping its recent output. */
export function manageProcess(spec: ProcessSpec, startTimeoutMs: number): ManagedProcess {
  const lines: string[] = [];
  const verbose = process.env.E2E_VERBOSE === "1";
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const record = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line.trim()) continue;
      lines.push(line);
      if (verbose) process.stderr.write(`[${spec.name}] ${line}\n`);
    }
    if (lines.length > MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES);
  };

  const signalGroup = (signal: NodeJS.Signals) => {
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    try {
      // Negative pid: the whole group (detached made the child its leader), so npx/tsx children go too.
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };

  const handle: ManagedProcess = {
    name: spec.name,
    get running() {
      return child !== null && child.exitCode === null && child.signalCode === null;
    },

    async start() {
      if (handle.running) return;
      lines.push(`--- starting: ${spec.command} ${spec.args.join(" ")}`);
      const started = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: { ...process.env, ...spec.env },
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      child = started;
      started.stdout?.on("data", record);
      started.stderr?.on("data", record);
      exited = new Promise((resolve) => {
        started.once("exit", (code, signal) => {
          lines.push(`--- exited (code ${code ?? "-"}, signal ${signal ?? "-"})`);
          resolve();
        });
      });
      started.once("error", (error) => lines.push(`--- spawn error: ${error.message}`));

      const deadline = Date.now() + startTimeoutMs;
      while (Date.now() < deadline) {
        if (!handle.running) {
          throw new Error(`${spec.name} exited before it was ready.\n${handle.logs()}`);
        }
        if (await spec.isReady().catch(() => false)) return;
        await sleep(200);
      }
      await handle.stop();
      throw new Error(`${spec.name} did not answer within ${startTimeoutMs} ms.\n${handle.logs()}`);
    },

    async stop() {
      signalGroup("SIGTERM");
      const stopped = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!stopped) await handle.kill();
    },

    async kill() {
      signalGroup("SIGKILL");
      await Promise.race([exited, sleep(5_000)]);
    },

    logs() {
      return lines.map((line) => `[${spec.name}] ${line}`).join("\n");
    },
  };
  return handle;
}

/** Whether `url` answers with a status `accept` likes (within 2 s). */
export async function answers(url: string, accept: (status: number) => boolean): Promise<boolean> {
  const response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  return accept(response.status);
}

/**
 * Starts the socket server and `next start` (needs a prior `next build`) with a fresh
 * database and shared random secrets, and waits until both answer.
 *
 * IMPORTANT: both run with NODE_ENV=test: a production build served without production
 * requirements (SMTP), so sign-in mail lands in the dev mailbox the tests read.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  assertWebBuild();
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const [webPort, socketPort] = await Promise.all([getFreePort(), options.socketPort ?? getFreePort()]);
  const baseUrl = `http://${HOST}:${webPort}`;
  const socketUrl = `http://${HOST}:${socketPort}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), "chat-e2e-data-"));

  const shared = {
    NODE_ENV: "test",
    AUTH_JWT_SECRET: randomBytes(32).toString("hex"),
    WEBHOOK_SECRET: `whsec_${randomBytes(32).toString("base64")}`,
    ...options.env,
  };

  const socket = manageProcess(
    {
      name: "socket",
      command: process.execPath,
      args: ["--import", "tsx", "src/index.ts"],
      cwd: SOCKET_DIR,
      env: { ...shared, SOCKET_PORT: String(socketPort), SOCKET_HOST: HOST, WEB_ORIGIN: baseUrl },
      isReady: () => answers(`${socketUrl}/healthz`, (status) => status === 200),
    },
    startTimeoutMs,
  );

  const web = manageProcess(
    {
      name: "web",
      command: process.execPath,
      args: [NEXT_BIN, "start", "-p", String(webPort), "-H", HOST],
      cwd: WEB_DIR,
      env: {
        ...shared,
        DATA_DIR: dataDir,
        APP_URL: baseUrl,
        SOCKET_SERVER_URL: options.pushUrl ?? socketUrl,
        SOCKET_PUBLIC_URL: socketUrl,
        NEXT_TELEMETRY_DISABLED: "1",
      },
      isReady: () => answers(`${baseUrl}/login`, (status) => status < 500),
    },
    startTimeoutMs,
  );

  const stack: Stack = {
    baseUrl,
    socketUrl,
    dataDir,
    web,
    socket,
    logs: () => `${socket.logs()}\n${web.logs()}`,
    async stop() {
      await Promise.all([web.stop(), socket.stop()]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };

  try {
    await Promise.all([socket.start(), web.start()]);
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return stack;
}
