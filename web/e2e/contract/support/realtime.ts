import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { buildMessage } from "socket-server/contract/testing";
import { io, type Socket } from "socket.io-client";
import { Webhook } from "standardwebhooks";

/** How a handshake ended: connected, or the server's `connect_error` message. */
export type Handshake = { connected: true; socket: Socket; events: [string, unknown][] } | { connected: false; error: string };

/** Connects like the page does (WebSocket only, token in `auth`), without reconnecting. */
export function connectSocket(
  socketUrl: string,
  auth: Record<string, unknown> | undefined,
  headers?: Record<string, string>,
): Promise<Handshake> {
  const socket = io(socketUrl, {
    auth,
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    timeout: 10_000,
    extraHeaders: headers,
  });
  const events: [string, unknown][] = [];
  socket.onAny((event: string, payload: unknown) => events.push([event, payload]));
  return new Promise((resolve) => {
    socket.once("connect", () => resolve({ connected: true, socket, events }));
    socket.once("connect_error", (error: Error) => {
      socket.close();
      resolve({ connected: false, error: error.message });
    });
  });
}

/** Resolves with the first `event` payload `match` accepts among those already received or still to come. */
export function waitForEvent<T>(
  handshake: Extract<Handshake, { connected: true }>,
  event: string,
  match: (payload: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const seen = handshake.events.find(([name, payload]) => name === event && match(payload as T));
    if (seen) return resolve(seen[1] as T);
    const timer = setTimeout(() => {
      handshake.socket.off(event, listener);
      reject(new Error(`no ${event} within ${timeoutMs} ms; got ${JSON.stringify(handshake.events).slice(0, 500)}`));
    }, timeoutMs);
    const listener = (payload: T) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      handshake.socket.off(event, listener);
      resolve(payload);
    };
    handshake.socket.on(event, listener);
  });
}

export interface TokenClaims {
  sub?: unknown;
  role?: unknown;
  aud?: unknown;
  email?: unknown;
  session_id?: unknown;
  /** Seconds from now; omitted: no exp claim. */
  expiresIn?: number;
}

/** An HS256 access token in the web app's shape, signed with `secret`. */
export async function signToken(secret: string, claims: TokenClaims): Promise<string> {
  const { expiresIn, ...rest } = claims;
  const payload = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  let jwt = new SignJWT(payload as Record<string, string>).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt();
  if (expiresIn !== undefined) jwt = jwt.setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn);
  return jwt.sign(new TextEncoder().encode(secret));
}

/** A token with `alg: none` (no signature) — must never be accepted. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${encode({ alg: "none", typ: "JWT" })}.${encode(claims)}.`;
}

export interface SignedPush {
  headers: Record<string, string>;
  body: string;
}

/** Standard Webhooks headers for `body`, signed with `secret` (as the web app signs its pushes). */
export function signPush(
  secret: string,
  body: string,
  { id = `msg_${randomUUID()}`, at = new Date() }: { id?: string; at?: Date } = {},
): SignedPush {
  const signature = new Webhook(secret).sign(id, at, body);
  return {
    body,
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": signature,
    },
  };
}

/** A `message.created` push body for a message from `senderId` to `recipientId` (`patch` may break it). */
export function messagePush(senderId: string, recipientId: string, content: string, patch: Record<string, unknown> = {}) {
  return { type: "message.created", data: { ...buildMessage({ senderId, recipientId, content }), ...patch } };
}
