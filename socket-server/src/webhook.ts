import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { conversationRoom, userRoom } from "./auth.js";
import {
  MAX_BATCH_BYTES,
  MAX_PUSH_BYTES,
  PUSH_PATH,
  pushBodySchema,
  type BatchItem,
  type ConversationUpdatedPush,
  type Push,
  type SessionRevoked,
} from "./contract/index.js";
import type { Logger } from "./logger.js";
import type { Metrics, PushRejectionReason } from "./metrics.js";
import type { PeerStore } from "./peers.js";
import type { RevocationStore } from "./revocations.js";
import type { ChatServer } from "./types.js";
import { verifyWebhook, webhookKey } from "./webhook-signature.js";

// After a 413 the rest of the body is drained so the sender can read the
// response; past this the connection is cut instead.
const MAX_DRAIN_BYTES = 2 * MAX_BATCH_BYTES;
// Peer pairs are learned between every two members of a group up to this size (n² pairs);
// a larger group's members are peers of its senders only (learned from its message pushes).
export const MAX_PAIRWISE_GROUP = 200;

/**
 * Remembers push ids so a retried or replayed push is acknowledged but not delivered twice.
 * One adapter per backend: in memory for one instance, Redis for several.
 */
export interface SeenIdStore {
  /**
   * Records `id`; resolves true the first time, false when it was already seen.
   * Rejects when the store cannot answer (e.g. Redis down): the push is then refused
   * with 503 so the sender retries, never emitted unchecked.
   */
  markSeen(id: string): Promise<boolean>;
  /** `markSeen` for several ids in one round trip, in order (a repeat within `ids` is seen). */
  markSeenMany(ids: readonly string[]): Promise<boolean[]>;
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

  const mark = (id: string, time: number) => {
    if (expiries.has(id)) return false;
    if (expiries.size >= maxSize) {
      const oldest = expiries.keys().next();
      if (!oldest.done) expiries.delete(oldest.value);
    }
    expiries.set(id, time + ttlMs);
    return true;
  };
  const prune = (time: number) => {
    for (const [seenId, expiresAt] of expiries) {
      if (expiresAt > time) break;
      expiries.delete(seenId);
    }
  };

  return {
    async markSeen(id) {
      const time = now();
      prune(time);
      return mark(id, time);
    },
    async markSeenMany(ids) {
      const time = now();
      prune(time);
      return ids.map((id) => mark(id, time));
    },
  };
}

export interface PushReceiverDeps {
  io: ChatServer;
  webhookSecrets: readonly string[];
  seenIds: SeenIdStore;
  revocations: RevocationStore;
  peers: PeerStore;
  logger: Logger;
  metrics: Metrics;
  /** True once shutdown began: new pushes get 503 so the sender retries on another instance. */
  isShuttingDown: () => boolean;
  /** Two people exchanged their first message (a pair the peer store did not know). */
  onNewPeers?: (a: string, b: string) => void;
}

export interface PushReceiver {
  /** The plain `node:http` handler for `POST /webhooks/messages`. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Pushes whose response is not finished yet. */
  inFlight(): number;
  /** Resolves true once no push is in flight, false after `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean>;
}

const REJECTION_REASONS: Record<number, PushRejectionReason> = {
  401: "signature",
  413: "too_large",
  422: "payload",
  500: "internal",
  503: "unavailable",
};

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" } as const;
const JSON_CLOSE_HEADERS = { ...JSON_HEADERS, connection: "close" } as const;
const RETRY_HEADERS = { ...JSON_HEADERS, "retry-after": "1" } as const;
const RETRY_CLOSE_HEADERS = { ...RETRY_HEADERS, connection: "close" } as const;
const DELIVERED_BODY = '{"data":{"delivered":true}}';
const DUPLICATE_BODY = '{"data":{"duplicate":true}}';

// fatal: bytes that are not UTF-8 cannot be JSON. ignoreBOM keeps a BOM in the text, so
// JSON.parse refuses it rather than a silent strip changing what was signed.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** One push in progress. A class, not closures: the hot path allocates one object per request. */
class PushExchange {
  chunks: Buffer[] = [];
  size = 0;
  timestamp = "";
  signature = "";
  constructor(
    readonly receiver: Receiver,
    readonly res: ServerResponse,
    readonly id: string,
    readonly startedAt: number,
  ) {}
}

const EXCHANGE = Symbol("pushExchange");
type WithExchange<T> = T & { [EXCHANGE]?: PushExchange };

class UnavailableError extends Error {}

/** A verified push ready to deliver: its id (dedupe key) and body. */
interface PushItem {
  id: string;
  push: Push;
}

class Receiver implements PushReceiver {
  private readonly keys: Buffer[];
  private readonly logsRequests: boolean;
  private count = 0;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly deps: PushReceiverDeps) {
    this.keys = deps.webhookSecrets.map(webhookKey);
    // IMPORTANT: decided once; above `info` the hot path does no log work at all.
    this.logsRequests = deps.logger.isLevelEnabled("info");
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const { metrics } = this.deps;
    metrics.pushesReceived.inc();
    const startedAt = performance.now();
    const id = readHeader(req, "webhook-id");

    this.count += 1;
    const exchange = new PushExchange(this, res, id ?? "", startedAt);
    (res as WithExchange<ServerResponse>)[EXCHANGE] = exchange;
    res.once("close", onResponseClose);

    if (this.deps.isShuttingDown()) {
      drain(req, 0);
      return this.fail(exchange, 503, "unavailable", "Server is shutting down; retry");
    }
    // Cheap rejections first; the body is drained, not read.
    const timestamp = readHeader(req, "webhook-timestamp");
    const signature = readHeader(req, "webhook-signature");
    if (!id || !timestamp || !signature) {
      drain(req, 0);
      return this.fail(exchange, 401, "invalid_signature", "Missing webhook-id, webhook-timestamp or webhook-signature header");
    }
    if (Number(req.headers["content-length"] ?? 0) > MAX_BATCH_BYTES) {
      drain(req, 0);
      return this.fail(exchange, 413, "payload_too_large", `Body exceeds ${MAX_BATCH_BYTES} bytes`);
    }

    exchange.timestamp = timestamp;
    exchange.signature = signature;
    (req as WithExchange<IncomingMessage>)[EXCHANGE] = exchange;
    req.on("data", onRequestData);
    req.on("end", onRequestEnd);
    req.on("error", onRequestAborted);
    req.on("close", onRequestAborted);
  }

  inFlight(): number {
    return this.count;
  }

  idle(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.count === 0) return resolve(true);
      const done = (drained: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(drained);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.add(wake);
    });
  }

  /** The response is finished or its connection gone. */
  settled(exchange: PushExchange): void {
    this.count -= 1;
    if (this.count === 0) for (const wake of this.waiters) wake();
    if (this.logsRequests) {
      const { res } = exchange;
      this.deps.logger.info("http request", {
        method: "POST",
        path: PUSH_PATH,
        status: res.statusCode,
        durationMs: Math.round((performance.now() - exchange.startedAt) * 10) / 10,
        webhookId: exchange.id || undefined,
        aborted: res.writableFinished ? undefined : true,
      });
    }
  }

  tooLarge(exchange: PushExchange, limit: number): void {
    this.fail(exchange, 413, "payload_too_large", `Body exceeds ${limit} bytes`);
  }

  /** The whole body is in: verify, parse, dedupe, deliver, answer. Never throws. */
  async process(exchange: PushExchange): Promise<void> {
    try {
      const raw = exchange.chunks.length === 1 ? exchange.chunks[0]! : Buffer.concat(exchange.chunks, exchange.size);
      exchange.chunks = [];

      // IMPORTANT: verify the exact bytes received before parsing anything.
      const failure = verifyWebhook(this.keys, exchange.id, exchange.timestamp, exchange.signature, raw);
      if (failure !== null) return this.fail(exchange, 401, "invalid_signature", `Invalid webhook signature: ${failure}`);

      let json: unknown;
      try {
        json = JSON.parse(utf8.decode(raw));
      } catch {
        return this.fail(exchange, 422, "invalid_payload", "Body is not valid JSON");
      }
      // Only a batch may pass 64 KiB: anything else over it is too large, whatever its shape.
      if (raw.length > MAX_PUSH_BYTES && (json as { type?: unknown } | null)?.type !== "batch") {
        return this.tooLarge(exchange, MAX_PUSH_BYTES);
      }
      const parsed = pushBodySchema.safeParse(json);
      if (!parsed.success) {
        const details = parsed.error.issues.map(({ path, message }) => ({ path: path.join("."), message }));
        return this.fail(
          exchange,
          422,
          "invalid_payload",
          "Body is not a valid push (message.created, message.changed, session.revoked, read.updated, conversation.updated or batch)",
          details,
        );
      }

      const push = parsed.data;
      if (push.type !== "batch") {
        const [delivered] = await this.accept([{ id: exchange.id, push }]);
        if (delivered === 0) {
          this.deps.metrics.pushesDuplicate.inc();
          return this.reply(exchange, 200, DUPLICATE_BODY);
        }
        this.deps.metrics.pushEmitSeconds.observe((performance.now() - exchange.startedAt) / 1000);
        return this.reply(exchange, 202, DELIVERED_BODY);
      }

      const items: PushItem[] = push.data.map(toItem);
      const [delivered, duplicates] = await this.accept(items);
      if (duplicates > 0) this.deps.metrics.pushesDuplicate.inc(duplicates);
      if (delivered > 0) this.deps.metrics.pushEmitSeconds.observe((performance.now() - exchange.startedAt) / 1000);
      return this.reply(exchange, 202, `{"data":{"delivered":${delivered},"duplicates":${duplicates}}}`);
    } catch (error) {
      if (error instanceof UnavailableError) return this.fail(exchange, 503, "unavailable", error.message);
      this.deps.logger.error("push failed", { webhookId: exchange.id, error: errorMessage(error) });
      this.fail(exchange, 500, "internal_error", "Internal server error");
    }
  }

  /**
   * Dedupes verified items by id and emits the new ones, in order. Resolves [delivered, duplicates].
   * @throws UnavailableError when a store cannot answer: nothing was emitted; the sender retries.
   */
  private async accept(items: PushItem[]): Promise<[number, number]> {
    const { seenIds, revocations, logger } = this.deps;
    // Revocations first and whatever their dedupe says (recording one is idempotent): a
    // sign-out must be on record before any instance could skip it as already seen.
    for (const item of items) {
      if (item.push.type !== "session.revoked") continue;
      try {
        await revocations.revoke(item.push.data);
      } catch (error) {
        logger.warn("revocation store unavailable", { webhookId: item.id, error: errorMessage(error) });
        throw new UnavailableError("Revocation store is unavailable; retry");
      }
    }

    let fresh: boolean[];
    try {
      fresh = items.length === 1 ? [await seenIds.markSeen(items[0]!.id)] : await seenIds.markSeenMany(items.map(itemId));
    } catch (error) {
      // IMPORTANT: never emit without the dedupe check; the sender retries a 503.
      logger.warn("push dedupe store unavailable", { webhookId: items[0]?.id, error: errorMessage(error) });
      throw new UnavailableError("Push deduplication store is unavailable; retry");
    }

    let delivered = 0;
    for (let index = 0; index < items.length; index++) {
      if (!fresh[index]) continue;
      delivered += 1;
      const pending = this.deliver(items[index]!.push);
      if (pending) await pending;
    }
    return [delivered, items.length - delivered];
  }

  /** Emits a verified, first-seen push. With the Redis adapter this reaches every instance. */
  private deliver(push: Push): Promise<void> | undefined {
    const { io } = this.deps;
    switch (push.type) {
      case "message.created": {
        const message = push.data;
        if (push.to) {
          // A group's message: to every member at commit, each in their own room (one emit, so a
          // socket gets it once). Someone removed before the commit is not in `to`.
          io.to(push.to.map(userRoom)).emit("message:new", message);
          // Keeps the sender's pairs with the members alive (best effort, no introductions).
          void this.learnGroupPeers(message.senderId, push.to);
          return;
        }
        // A direct message without a recipient is refused by the contract's producers; nothing to address.
        if (message.recipientId === null) return;
        // One emit to both rooms: a socket in both (self-chat) gets it once.
        io.to([userRoom(message.recipientId), userRoom(message.senderId)]).emit("message:new", message);
        // Typing and presence between them are allowed from now on (best effort: never fails the push).
        if (message.senderId !== message.recipientId) void this.learnPeers(message.senderId, message.recipientId);
        return;
      }
      case "read.updated": {
        const { userId, peerId } = push.data;
        // The reader's other tabs update unread counts; the peer (a group: every member) shows "Seen".
        const to = push.to ?? (peerId === null ? [userId] : [userId, peerId]);
        io.to(to.map(userRoom)).emit("read:updated", push.data);
        return;
      }
      case "message.changed": {
        // An edit, deletion or reaction: to the same people as the message itself (a group's
        // members at the change's commit; a direct message's two participants).
        const { message } = push.data;
        const to = push.to ?? (message.recipientId === null ? [message.senderId] : [message.recipientId, message.senderId]);
        io.to(to.map(userRoom)).emit("message:changed", push.data);
        return;
      }
      case "conversation.updated":
        return this.updateConversation(push);
      case "session.revoked":
        return disconnectSession(io, push.data);
    }
  }

  /**
   * A group's name or members changed: members' sockets join its room (group typing), the
   * removed ones' leave it, on every instance (the Redis adapter carries socketsJoin/socketsLeave),
   * and then everyone concerned is told. The event goes out after the room changes, through the
   * same channel, so a socket that has it is already in (or out of) the room.
   */
  private async updateConversation({ data, to }: ConversationUpdatedPush): Promise<void> {
    const { io } = this.deps;
    // Members are peers of each other from now on: presence and direct typing between them.
    if (data.memberIds.length <= MAX_PAIRWISE_GROUP) {
      await Promise.all(data.memberIds.map((member, index) => this.learnGroupPeers(member, data.memberIds.slice(index + 1))));
    }
    const room = conversationRoom(data.conversationId);
    if (data.memberIds.length > 0) io.in(data.memberIds.map(userRoom)).socketsJoin(room);
    if (data.removedIds.length > 0) io.in(data.removedIds.map(userRoom)).socketsLeave(room);
    io.to(to.map(userRoom)).emit("conversation:updated", data);
  }

  /** Records `user` as a peer of each of `others`. Never rejects, introduces nobody (a group's page subscribes itself). */
  private async learnGroupPeers(user: string, others: readonly string[]): Promise<void> {
    try {
      await Promise.all(others.map((other) => (other === user ? undefined : this.deps.peers.add(user, other))));
    } catch (error) {
      this.deps.logger.warn("peer store unavailable", { error: errorMessage(error) });
    }
  }

  /** Never rejects: a peer store failure costs typing and presence between them, never the push. */
  private async learnPeers(a: string, b: string): Promise<void> {
    try {
      if (await this.deps.peers.add(a, b)) this.deps.onNewPeers?.(a, b);
    } catch (error) {
      this.deps.logger.warn("peer store unavailable", { error: errorMessage(error) });
    }
  }

  private reply(exchange: PushExchange, status: number, body: string): void {
    const { res } = exchange;
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, this.deps.isShuttingDown() ? JSON_CLOSE_HEADERS : JSON_HEADERS).end(body);
  }

  fail(exchange: PushExchange, status: number, code: string, message: string, details?: unknown): void {
    const reason = REJECTION_REASONS[status];
    if (reason) this.deps.metrics.pushesRejected.labels(reason).inc();
    const { res } = exchange;
    if (res.headersSent || res.destroyed) return;
    const body = JSON.stringify({ error: details === undefined ? { code, message } : { code, message, details } });
    const closing = this.deps.isShuttingDown();
    const headers = status === 503 ? (closing ? RETRY_CLOSE_HEADERS : RETRY_HEADERS) : closing ? JSON_CLOSE_HEADERS : JSON_HEADERS;
    res.writeHead(status, headers).end(body);
  }
}

/** Tells the session's sockets on every instance, then disconnects them (`sessionId` null: all of the user's). */
async function disconnectSession(io: ChatServer, { userId, sessionId }: SessionRevoked): Promise<void> {
  const sockets = await io.in(userRoom(userId)).fetchSockets();
  for (const socket of sockets) {
    if (sessionId !== null && socket.data.sessionId !== sessionId) continue;
    socket.emit("auth:error", { code: "signed_out" });
    socket.disconnect(true);
  }
}

const toItem = (item: BatchItem): PushItem => ({ id: item.id, push: item });
const itemId = (item: PushItem) => item.id;

// Listeners are shared functions (`this` is the emitter), so reading a body creates no closures.

function onRequestData(this: WithExchange<IncomingMessage>, chunk: Buffer): void {
  const exchange = this[EXCHANGE]!;
  exchange.size += chunk.length;
  if (exchange.size <= MAX_BATCH_BYTES) {
    exchange.chunks.push(chunk);
    return;
  }
  detach(this);
  exchange.chunks = [];
  drain(this, exchange.size);
  exchange.receiver.tooLarge(exchange, MAX_BATCH_BYTES);
}

function onRequestEnd(this: WithExchange<IncomingMessage>): void {
  const exchange = this[EXCHANGE]!;
  detach(this);
  void exchange.receiver.process(exchange);
}

function onRequestAborted(this: WithExchange<IncomingMessage>): void {
  // The sender went away before the body ended; there is no one to answer.
  const exchange = this[EXCHANGE];
  detach(this);
  if (exchange) exchange.chunks = [];
}

function onResponseClose(this: WithExchange<ServerResponse>): void {
  const exchange = this[EXCHANGE]!;
  this[EXCHANGE] = undefined;
  exchange.receiver.settled(exchange);
}

function detach(req: WithExchange<IncomingMessage>): void {
  req.off("data", onRequestData);
  req.off("end", onRequestEnd);
  req.off("error", onRequestAborted);
  req.off("close", onRequestAborted);
  req[EXCHANGE] = undefined;
}

function onDrainData(this: IncomingMessage & { drained?: number }, chunk: Buffer): void {
  this.drained = (this.drained ?? 0) + chunk.length;
  if (this.drained > MAX_DRAIN_BYTES) this.socket.destroy();
}

function ignoreError(): void {}

/** Discards the rest of a rejected body so the client can read our answer. */
function drain(req: IncomingMessage & { drained?: number }, alreadyRead: number): void {
  req.drained = alreadyRead;
  req.on("error", ignoreError);
  req.on("data", onDrainData);
  req.resume();
}

function readHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * `POST /webhooks/messages`, answered on the plain `node:http` request path (Express serves
 * everything else): verifies the Standard Webhooks signature over the raw body, then emits.
 *
 * Bodies: one push `{ type, data }` (deduped by its `webhook-id`) or a batch
 * `{ type: "batch", data: [{ id, type, data }, …] }` (at most 500 items; each deduped by its id).
 * Responses: single 202 `{ data: { delivered: true } }` or 200 `{ data: { duplicate: true } }`;
 * batch 202 `{ data: { delivered, duplicates } }`; 401 invalid_signature, 413 payload_too_large
 * (64 KiB single, 1 MiB batch, counted while streaming), 422 invalid_payload, 503 unavailable
 * (a store is unreachable, or the server is shutting down: retry).
 */
export function createPushReceiver(deps: PushReceiverDeps): PushReceiver {
  return new Receiver(deps);
}

/** True for the request the receiver answers. */
export function isPushRequest(req: IncomingMessage): boolean {
  const url = req.url;
  return (
    req.method === "POST" &&
    url !== undefined &&
    url.startsWith(PUSH_PATH) &&
    (url.length === PUSH_PATH.length || url.charCodeAt(PUSH_PATH.length) === 63) /* ? */
  );
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
