import { createHmac, randomBytes, randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { SignJWT, type JWTPayload } from "jose";
import { io as connect, type Socket as ClientSocket } from "socket.io-client";
import { Webhook } from "standardwebhooks";
import { createApp, type App, type AppConfig, type AppDeps } from "../src/app.js";
import { createHs256Verifier } from "../src/auth.js";
import type { ChatMessage, ClientToServerEvents, MessagePush, ServerToClientEvents } from "../src/contract/index.js";
import { buildMessage } from "../src/contract/testing.js";
import { silentLogger } from "../src/logger.js";
import { peersTicketKey } from "../src/peers.js";
import { createMemorySeenIdStore } from "../src/webhook.js";

export type ChatClient = ClientSocket<ServerToClientEvents, ClientToServerEvents>;

export const JWT_SECRET = randomBytes(32).toString("hex");
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString("base64")}`;
export const WEBHOOK_SECRET = newWebhookSecret();

export interface TestServer {
  app: App;
  url: string;
  close(): Promise<void>;
}

/** Starts the real app on 127.0.0.1, port 0. Remember to `close()` it. */
export async function startServer(config: Partial<AppConfig> = {}, deps: Partial<Omit<AppDeps, "config">> = {}): Promise<TestServer> {
  const app = createApp({
    config: { webhookSecrets: [WEBHOOK_SECRET], webOrigins: ["http://localhost:3000"], ...config },
    verifier: createHs256Verifier(JWT_SECRET),
    seenIds: createMemorySeenIdStore(),
    logger: silentLogger,
    ...deps,
  });
  await new Promise<void>((resolve) => app.httpServer.listen(0, "127.0.0.1", resolve));
  const { port } = app.httpServer.address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

export function buildPush(overrides: Partial<ChatMessage> = {}): MessagePush {
  return { type: "message.created", data: buildMessage(overrides) };
}

/** An access token shaped like Supabase's; pass claims to override or `undefined` to drop one. */
export function signToken(
  claims: JWTPayload & Record<string, unknown> = {},
  { secret = JWT_SECRET, expiresInSeconds = 3600 }: { secret?: string; expiresInSeconds?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = {
    sub: randomUUID(),
    aud: "authenticated",
    role: "authenticated",
    email: "ada@example.com",
    iat: now,
    exp: now + expiresInSeconds,
    ...claims,
  };
  for (const key of Object.keys(payload)) if (payload[key] === undefined) delete payload[key];
  return new SignJWT(payload).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(secret));
}

/** A peers ticket as the web app signs it: HS256 with the key derived from `secret`; `conversations`: the user's groups. */
export function signPeersTicket(
  userId: string,
  peers: string[],
  {
    secret = WEBHOOK_SECRET,
    expiresInSeconds = 3600,
    conversations,
  }: { secret?: string; expiresInSeconds?: number; conversations?: string[] } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ peers, ...(conversations && { conversations }) })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(userId)
    .setIssuedAt(now)
    .setExpirationTime(now + expiresInSeconds)
    .sign(peersTicketKey(secret));
}

/** Connects a real client; resolves once connected, rejects with the connect_error. */
export function connectClient(url: string, token?: string, extraAuth: Record<string, unknown> = {}): Promise<ChatClient> {
  const socket: ChatClient = connect(url, {
    auth: token === undefined ? extraAuth : { token, ...extraAuth },
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (error) => {
      socket.close();
      reject(error);
    });
  });
}

/** Sends a signed push for `push` to the server at `url`. */
export function sendPush(url: string, push: MessagePush, options?: SignOptions): Promise<Response> {
  const body = JSON.stringify(push);
  return postPush(url, body, signPush(body, options));
}

/** Polls `check` until it returns true; throws after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  { timeoutMs = 5_000, intervalMs = 50, what = "condition" } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Resolves with the first `event` the socket receives, or rejects after `timeoutMs`. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: ChatClient,
  event: E,
  timeoutMs = 3_000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    const listener = (payload: Parameters<ServerToClientEvents[E]>[0]) => {
      clearTimeout(timer);
      resolve(payload);
    };
    // socket.io-client's typed `once` cannot take a generic event name; the cast is only for that.
    (socket as unknown as { once(event: string, listener: (payload: unknown) => void): void }).once(
      event,
      listener as (payload: unknown) => void,
    );
  });
}

/** Collects every `message:new` a client receives. */
export function collectMessages(socket: ChatClient): ChatMessage[] {
  const received: ChatMessage[] = [];
  socket.on("message:new", (message) => received.push(message));
  return received;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the first `message:new` the socket receives. */
export function nextMessage(socket: ChatClient): Promise<ChatMessage> {
  return new Promise((resolve) => socket.once("message:new", resolve));
}

export interface SignOptions {
  secret?: string;
  id?: string;
  timestamp?: Date;
}

/** Standard Webhooks headers for `body`, signed with the package under test. */
export function signPush(body: string, { secret = WEBHOOK_SECRET, id = `msg_${randomUUID()}`, timestamp = new Date() }: SignOptions = {}) {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, timestamp, body),
  };
}

/** Raw HMAC signature, independent of the package: for forging with arbitrary keys. */
export function hmacSignature(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac("sha256", key).update(`${id}.${timestampSeconds}.${body}`).digest("base64");
  return `v1,${mac}`;
}

export function postPush(url: string, body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${url}/webhooks/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}
