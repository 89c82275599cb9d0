import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  answers,
  assertWebBuild,
  getFreePort,
  manageProcess,
  SOCKET_DIR,
  WEB_DIR,
  type ManagedProcess,
  type ProcessSpec,
} from "../../support/stack";
import { startMailCatcher, type MailCatcher } from "./mail-catcher";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy";

/**
 * The real processes for the black-box contract suite: the socket server and the web app,
 * either as `next dev` (what `npm run dev` runs) or as the production build (`next start`,
 * NODE_ENV=production, mail through a local SMTP server), on free ports of 127.0.0.1.
 */

export type WebMode = "next dev" | "next start";

const HOST = "127.0.0.1";

/** Small budgets, so the suite reaches each 429 with a short burst. */
export const LIMITS = {
  sendPerUser: 30,
  usersSearch: 20,
  attachmentUploads: 20,
  messageActions: 60,
  messageSearch: 20,
  attachmentMaxBytes: 100_000,
  attachmentQuotaBytes: 300_000,
  /** EDIT_WINDOW_SECONDS: short, so the suite sees a window close (it waits out only what is left of it). */
  editWindowSeconds: 60,
} as const;

/** The machine's Redis: the web app runs with REDIS_URL through a proxy the suite can cut (503 not_ready). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL;

export interface ContractStack {
  mode: WebMode;
  /** The env each process was started with (on top of the caller's). */
  env: { web: Record<string, string>; socket: Record<string, string> };
  baseUrl: string;
  socketUrl: string;
  /** The secrets both processes were given (tests sign pushes and forge tokens with them). */
  authJwtSecret: string;
  webhookSecret: string;
  /** Set on both processes in production mode. */
  metricsToken: string | undefined;
  /** Production mode only: where the web app's mail goes. */
  mail: MailCatcher | null;
  /** Between the web app and Redis; null without TEST_REDIS_URL. */
  redis: TcpProxy | null;
  web: ManagedProcess;
  socket: ManagedProcess;
  /** The newest sign-in link sent to `email` at or after `since`: from the dev mailbox, or from real mail. */
  magicLink(email: string, since: number): Promise<string>;
  /** The last `lines` lines both processes printed. */
  logs(lines?: number): string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const NEXT_BIN = path.join(path.dirname(createRequire(path.join(WEB_DIR, "package.json")).resolve("next/package.json")), "dist/bin/next");

// Every route the suite calls: `next dev` compiles each on its first request.
const WARM_UP: [method: string, path: string][] = [
  ["POST", "/api/auth/login"],
  ["GET", "/api/auth/session"],
  ["POST", "/api/auth/logout"],
  ["POST", "/api/chat/send"],
  ["GET", "/api/chat/history"],
  ["GET", "/api/chat/conversations"],
  ["POST", "/api/chat/read"],
  ["GET", "/api/profile"],
  ["GET", "/api/users"],
  ["GET", "/api/dev/mailbox"],
  ["GET", "/api/metrics"],
  ["GET", "/auth/confirm"],
  ["GET", "/auth/callback"],
  ["GET", "/readyz"],
  ["PATCH", "/api/chat/messages/00000000-0000-4000-8000-000000000000"],
  ["PUT", "/api/chat/messages/00000000-0000-4000-8000-000000000000/reactions/%F0%9F%91%8D"],
  ["GET", "/api/chat/changes"],
];

function socketSpec(name: string, port: number, env: Record<string, string>): ProcessSpec {
  const url = `http://${HOST}:${port}`;
  return {
    name,
    command: process.execPath,
    args: ["--import", "tsx", "src/index.ts"],
    cwd: SOCKET_DIR,
    env: { ...env, SOCKET_PORT: String(port) },
    isReady: () => answers(`${url}/healthz`, (status) => status === 200),
  };
}

function webSpec(mode: WebMode, port: number, env: Record<string, string>): ProcessSpec {
  return {
    name: mode,
    command: process.execPath,
    args: [NEXT_BIN, mode === "next start" ? "start" : "dev", "-p", String(port), "-H", HOST],
    cwd: WEB_DIR,
    env,
    isReady: () => answers(`http://${HOST}:${port}/healthz`, (status) => status === 200),
  };
}

/** How a start-up with a changed env ended: it answered (and was stopped again), or it exited with this output. */
export type StartProbe = { started: true } | { started: false; output: string };

/**
 * Starts one more web app or socket server with the stack's env plus `changes` (on a fresh port
 * and data folder) to see whether it refuses to start; stops it again if it does start.
 */
export async function probeStart(stack: ContractStack, which: "web" | "socket", changes: Record<string, string>): Promise<StartProbe> {
  const port = await getFreePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), "chat-contract-probe-"));
  const spec =
    which === "web"
      ? webSpec(stack.mode, port, { ...stack.env.web, DATA_DIR: dataDir, ...changes })
      : socketSpec(`socket probe`, port, { ...stack.env.socket, ...changes });
  const child = manageProcess(spec, 60_000);
  try {
    await child.start();
    await child.stop();
    return { started: true };
  } catch {
    await child.stop();
    return { started: false, output: child.logs() };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function startContractStack(mode: WebMode): Promise<ContractStack> {
  const production = mode === "next start";
  if (production) assertWebBuild();
  const [webPort, socketPort] = await Promise.all([getFreePort(), getFreePort()]);
  const baseUrl = `http://${HOST}:${webPort}`;
  const socketUrl = `http://${HOST}:${socketPort}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), "chat-contract-data-"));
  const authJwtSecret = randomBytes(32).toString("hex");
  const webhookSecret = `whsec_${randomBytes(32).toString("base64")}`;
  const metricsToken = production ? randomBytes(24).toString("hex") : undefined;
  const nodeEnv = production ? "production" : "development";

  const mail = production ? await startMailCatcher() : null;
  let redis: TcpProxy | null = null;
  if (TEST_REDIS_URL) {
    const url = new URL(TEST_REDIS_URL);
    redis = await startTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
  }
  const redisUrl =
    redis && TEST_REDIS_URL ? Object.assign(new URL(TEST_REDIS_URL), { hostname: redis.host, port: String(redis.port) }).toString() : "";

  const shared = {
    NODE_ENV: nodeEnv,
    AUTH_JWT_SECRET: authJwtSecret,
    WEBHOOK_SECRET: webhookSecret,
    ...(metricsToken && { METRICS_TOKEN: metricsToken }),
    LOG_LEVEL: "info",
  };

  const socketEnv: Record<string, string> = { ...shared, SOCKET_HOST: HOST, WEB_ORIGIN: baseUrl, REDIS_URL: "" };
  const webEnv: Record<string, string> = {
    ...shared,
    // IMPORTANT: `next dev` writes to <distDir>/dev, so with the default distDir it sits beside
    // `next build`'s output (Next 16). Another distDir would make `next dev` rewrite tsconfig.json.
    // It takes a lock there: a developer's own `npm run dev` in this checkout must be stopped first.
    NEXT_DIST_DIR: production ? (process.env.NEXT_DIST_DIR ?? "") : "",
    NEXT_TELEMETRY_DISABLED: "1",
    DATA_DIR: dataDir,
    APP_URL: baseUrl,
    SOCKET_SERVER_URL: socketUrl,
    SOCKET_PUBLIC_URL: socketUrl,
    SMTP_URL: mail?.url ?? "",
    MAIL_FROM: mail ? "Chat <sign-in@contract.test>" : "",
    REDIS_URL: redisUrl,
    // The embedded mode, whatever the caller's shell or .env says.
    DATABASE_URL: "",
    NEXT_PUBLIC_SUPABASE_URL: "",
    NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: "",
    NEXT_PUBLIC_SUPABASE_ANON_KEY: "",
    RATE_LIMIT_LOGIN_EMAIL: "1/60",
    // Every request of the suite comes from 127.0.0.1: the per-IP budget must not be what answers.
    RATE_LIMIT_LOGIN_IP: "100000/60",
    RATE_LIMIT_SEND: `${LIMITS.sendPerUser}/60`,
    RATE_LIMIT_USERS: `${LIMITS.usersSearch}/60`,
    RATE_LIMIT_ATTACHMENTS: `${LIMITS.attachmentUploads}/60`,
    RATE_LIMIT_MESSAGE_ACTIONS: `${LIMITS.messageActions}/60`,
    RATE_LIMIT_SEARCH: `${LIMITS.messageSearch}/60`,
    ATTACHMENT_MAX_BYTES: String(LIMITS.attachmentMaxBytes),
    ATTACHMENT_QUOTA_BYTES: String(LIMITS.attachmentQuotaBytes),
    EDIT_WINDOW_SECONDS: String(LIMITS.editWindowSeconds),
  };

  const socket = manageProcess(socketSpec(`socket (${mode})`, socketPort, socketEnv), 60_000);
  const web = manageProcess(webSpec(mode, webPort, webEnv), 120_000);

  const stop = async () => {
    await Promise.all([web.stop(), socket.stop()]);
    await Promise.all([mail?.close(), redis?.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  };

  const logs = (lines = 400) => [socket.logs(), web.logs()].map((text) => text.split("\n").slice(-lines).join("\n")).join("\n");

  try {
    await Promise.all([socket.start(), web.start()]);
    if (!production) {
      await Promise.all(
        WARM_UP.map(([method, route]) =>
          fetch(`${baseUrl}${route}`, { method, signal: AbortSignal.timeout(90_000) }).then((response) => response.body?.cancel()),
        ),
      );
    }
  } catch (error) {
    const output = logs(80);
    await stop();
    throw new Error(`${(error as Error).message}\n${output}`);
  }

  return {
    mode,
    env: { web: webEnv, socket: socketEnv },
    baseUrl,
    socketUrl,
    authJwtSecret,
    webhookSecret,
    metricsToken,
    mail,
    redis,
    web,
    socket,
    logs,
    stop,
    async magicLink(email, since) {
      if (mail) {
        const message = await mail.waitFor(email, since);
        const link = /https?:\/\/\S+\/auth\/confirm\?[^\s"<>]+/.exec(message.text)?.[0];
        if (!link) throw new Error(`the sign-in mail to ${email} has no link:\n${message.text}`);
        return link;
      }
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const response = await fetch(`${baseUrl}/api/dev/mailbox?email=${encodeURIComponent(email)}`);
        const body = (await response.json()) as { data?: { link: string; sentAt: string }[] };
        const fresh = body.data?.find((item) => Date.parse(item.sentAt) >= since - 1_000);
        if (fresh) return fresh.link;
        await sleep(100);
      }
      throw new Error(`no sign-in link for ${email} in the dev mailbox`);
    },
  };
}
