import type { IncomingMessage } from "node:http";
import { performance } from "node:perf_hooks";
import type { RequestHandler } from "express";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { z } from "zod";
import type { ChatServer } from "./app.js";
import { userRoom } from "./auth.js";
import type { ChatMessage, MessagePush, Push, ReadUpdatedPush, SessionRevokedPush } from "./events.js";
import type { Logger } from "./logger.js";
import type { Metrics, PushRejectionReason } from "./metrics.js";

/** Largest push body accepted; a message plus its envelope is far smaller. */
export const MAX_PUSH_BYTES = 64 * 1024;
// After a 413 the rest of the body is drained so the sender can read the
// response; past this the connection is cut instead.
const MAX_DRAIN_BYTES = 1024 * 1024;

/**
 * Remembers webhook ids so a retried or replayed push is acknowledged but not
 * delivered twice. One adapter per backend: in memory today, Redis when the
 * socket server runs as more than one instance.
 */
export interface SeenIdStore {
  /**
   * Records `id`; resolves true the first time, false when it was already seen.
   * Rejects when the store cannot answer (e.g. Redis down): the push is then refused
   * with 503 so the sender retries, never emitted unchecked.
   */
  markSeen(id: string): Promise<boolean>;
}

export interface MemorySeenIdStoreOptions {
  ttlMs?: number;
  maxSize?: number;
  now?: () => number;
}

// A push is accepted while its timestamp is within 5 minutes of our clock, so
// one id can verify for at most 10 minutes after it first arrives.
export const DEFAULT_SEEN_TTL_MS = 10 * 60 * 1000;
const DEFAULT_SEEN_MAX_SIZE = 100_000;

/** In-memory SeenIdStore: fixed TTL, bounded size (oldest ids evicted first). */
export function createMemorySeenIdStore({
  ttlMs = DEFAULT_SEEN_TTL_MS,
  maxSize = DEFAULT_SEEN_MAX_SIZE,
  now = Date.now,
}: MemorySeenIdStoreOptions = {}): SeenIdStore {
  // Every entry has the same TTL, so insertion order is expiry order.
  const expiries = new Map<string, number>();

  return {
    async markSeen(id) {
      const time = now();
      for (const [seenId, expiresAt] of expiries) {
        if (expiresAt > time) break;
        expiries.delete(seenId);
      }
      if (expiries.has(id)) return false;
      if (expiries.size >= maxSize) {
        const oldest = expiries.keys().next();
        if (!oldest.done) expiries.delete(oldest.value);
      }
      expiries.set(id, time + ttlMs);
      return true;
    },
  };
}

// Ids match Postgres' uuid type (any 8-4-4-4-12 hex). clientId is the sender's
// dedupe key, so only its presence is checked.
const chatMessageSchema = z.object({
  id: z.guid(),
  conversationId: z.guid(),
  seq: z.number().int().min(1),
  senderId: z.guid(),
  recipientId: z.guid(),
  content: z.string().min(1),
  clientId: z.string().min(1).max(200),
  createdAt: z.iso.datetime({ offset: true }),
}) satisfies z.ZodType<ChatMessage>;

export const messagePushSchema = z.object({
  type: z.literal("message.created"),
  data: chatMessageSchema,
}) satisfies z.ZodType<MessagePush>;

const sessionRevokedPushSchema = z.object({
  type: z.literal("session.revoked"),
  data: z.object({ userId: z.guid(), sessionId: z.string().min(1).max(200).nullable() }),
}) satisfies z.ZodType<SessionRevokedPush>;

const readUpdatedPushSchema = z.object({
  type: z.literal("read.updated"),
  data: z.object({ conversationId: z.guid(), userId: z.guid(), peerId: z.guid(), lastReadSeq: z.number().int().min(0) }),
}) satisfies z.ZodType<ReadUpdatedPush>;

export const pushSchema = z.discriminatedUnion("type", [messagePushSchema, sessionRevokedPushSchema, readUpdatedPushSchema]);

export interface PushHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

export type PushVerification = { ok: true } | { ok: false; reason: string };

/**
 * Checks a Standard Webhooks signature against every configured secret
 * (rotation: any may match). `body` must be the exact text that was signed.
 */
export function verifyPush(webhooks: Webhook[], body: string, headers: PushHeaders): PushVerification {
  // The package's parseInt would accept "123abc"; only plain seconds are valid.
  if (!/^\d{1,15}$/.test(headers["webhook-timestamp"])) return { ok: false, reason: "malformed webhook-timestamp" };

  let reason = "no matching signature";
  for (const webhook of webhooks) {
    try {
      webhook.verify(body, headers, { jsonParse: false });
      return { ok: true };
    } catch (error) {
      reason = error instanceof WebhookVerificationError ? error.message : "verification failed";
      // A stale or future timestamp fails the same way for every secret.
      if (/timestamp/i.test(reason)) break;
    }
  }
  return { ok: false, reason };
}

class PayloadTooLargeError extends Error {}
class RequestAbortedError extends Error {}

/** Reads the body as raw bytes, rejecting once it passes `limit` (the rest is drained). */
function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;

    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      cleanup();
      drain(req, size);
      reject(new PayloadTooLargeError());
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new RequestAbortedError(error.message));
    };
    const onClose = () => {
      cleanup();
      reject(new RequestAbortedError("request closed before its body ended"));
    };

    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

/** Discards the rest of a rejected body so the client can read our answer. */
function drain(req: IncomingMessage, alreadyRead: number): void {
  let size = alreadyRead;
  req.on("error", () => {});
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_DRAIN_BYTES) req.socket.destroy();
  });
  req.resume();
}

// fatal: bytes that are not UTF-8 cannot be the JSON text that was signed.
// ignoreBOM keeps a BOM in the text, so the bytes verified are the bytes sent.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function readHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

export interface PushHandlerDeps {
  io: ChatServer;
  webhookSecrets: string[];
  seenIds: SeenIdStore;
  logger: Logger;
  metrics: Metrics;
  /** True once shutdown began: new pushes get 503 so the sender retries on another instance. */
  isShuttingDown: () => boolean;
}

const REJECTION_REASONS: Record<number, PushRejectionReason> = {
  401: "signature",
  413: "too_large",
  422: "payload",
  500: "internal",
  503: "unavailable",
};

/**
 * `POST /webhooks/messages`: verifies a signed push over the raw body, then
 * emits `message:new` to both participants' rooms.
 *
 * Responses: 202 `{ data: { delivered: true } }` (accepted: handed to Socket.IO,
 * which does not confirm receipt), 200 `{ data: { duplicate: true } }` for a
 * webhook-id already seen, 401 invalid_signature, 413 payload_too_large,
 * 422 invalid_payload, 503 unavailable (the dedupe store is unreachable, or the
 * server is shutting down: retry).
 */
export function createPushHandler({
  io,
  webhookSecrets,
  seenIds,
  logger,
  metrics,
  isShuttingDown,
}: PushHandlerDeps): RequestHandler {
  const webhooks = webhookSecrets.map((secret) => new Webhook(secret));

  return async (req, res) => {
    const startedAt = performance.now();
    metrics.pushesReceived.inc();
    const id = readHeader(req, "webhook-id");
    // The request log line carries it (the id is not secret; the signature is).
    res.locals.webhookId = id;

    const reply = (status: number, body: object) => {
      res.status(status).json(body);
    };
    const fail = (status: number, code: string, message: string, details?: unknown) => {
      const reason = REJECTION_REASONS[status];
      if (reason) metrics.pushesRejected.labels(reason).inc();
      reply(status, { error: details === undefined ? { code, message } : { code, message, details } });
    };
    const tooLarge = () => fail(413, "payload_too_large", `Body exceeds ${MAX_PUSH_BYTES} bytes`);
    const unavailable = (message: string) => {
      res.setHeader("Retry-After", "1");
      fail(503, "unavailable", message);
    };

    try {
      if (isShuttingDown()) {
        drain(req, 0);
        return unavailable("Server is shutting down; retry");
      }

      // Cheap rejections first; the body is drained, not read.
      const timestamp = readHeader(req, "webhook-timestamp");
      const signature = readHeader(req, "webhook-signature");
      if (!id || !timestamp || !signature) {
        drain(req, 0);
        return fail(401, "invalid_signature", "Missing webhook-id, webhook-timestamp or webhook-signature header");
      }
      if (Number(req.headers["content-length"] ?? 0) > MAX_PUSH_BYTES) {
        drain(req, 0);
        return tooLarge();
      }

      let raw: Buffer;
      try {
        raw = await readRawBody(req, MAX_PUSH_BYTES);
      } catch (error) {
        if (error instanceof PayloadTooLargeError) return tooLarge();
        // The sender went away; there is no one to answer.
        logger.info("push aborted", { webhookId: id });
        return;
      }

      let body: string;
      try {
        body = utf8.decode(raw);
      } catch {
        return fail(401, "invalid_signature", "Body is not UTF-8, so its signature cannot match");
      }

      // IMPORTANT: verify the exact bytes received before parsing anything.
      const verification = verifyPush(webhooks, body, {
        "webhook-id": id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature,
      });
      if (!verification.ok) {
        return fail(401, "invalid_signature", `Invalid webhook signature: ${verification.reason}`);
      }

      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        return fail(422, "invalid_payload", "Body is not valid JSON");
      }
      const push = pushSchema.safeParse(json);
      if (!push.success) {
        const details = push.error.issues.map(({ path, message }) => ({ path: path.join("."), message }));
        return fail(422, "invalid_payload", "Body is not a valid push (message.created, session.revoked or read.updated)", details);
      }

      let isNew: boolean;
      try {
        isNew = await seenIds.markSeen(id);
      } catch (error) {
        // IMPORTANT: never emit without the dedupe check; the sender retries a 503.
        logger.warn("push dedupe store unavailable", { webhookId: id, error: errorMessage(error) });
        return unavailable("Push deduplication store is unavailable; retry");
      }
      if (!isNew) {
        metrics.pushesDuplicate.inc();
        return reply(200, { data: { duplicate: true } });
      }

      await deliver(io, push.data);
      metrics.pushEmitSeconds.observe((performance.now() - startedAt) / 1000);
      return reply(202, { data: { delivered: true } });
    } catch (error) {
      logger.error("push failed", { webhookId: id, error: errorMessage(error) });
      if (!res.headersSent) fail(500, "internal_error", "Internal server error");
    }
  };
}

/** Emits a verified, first-seen push. With the Redis adapter this reaches every instance. */
async function deliver(io: ChatServer, push: Push): Promise<void> {
  switch (push.type) {
    case "message.created": {
      const message = push.data;
      // One emit to both rooms: a socket in both (self-chat) gets it once.
      io.to([userRoom(message.recipientId), userRoom(message.senderId)]).emit("message:new", message);
      return;
    }
    case "read.updated":
      // The reader's other tabs update unread counts; the peer shows "Seen".
      io.to([userRoom(push.data.userId), userRoom(push.data.peerId)]).emit("read:updated", push.data);
      return;
    case "session.revoked": {
      const { userId, sessionId } = push.data;
      const sockets = await io.in(userRoom(userId)).fetchSockets();
      for (const socket of sockets) {
        if (sessionId !== null && socket.data.sessionId !== sessionId) continue;
        socket.emit("auth:error", { code: "signed_out" });
        socket.disconnect(true);
      }
      return;
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
