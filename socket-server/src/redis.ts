import { createAdapter } from "@socket.io/redis-adapter";
import { RateLimiterRedis } from "rate-limiter-flexible";
import { createClient } from "redis";
import type { ServerOptions } from "socket.io";
import type { Logger } from "./logger.js";
import { createMemoryRateLimiter, SOCKET_EVENT_LIMIT } from "./rate-limit.js";
import type { LastSeenStore } from "./presence.js";
import { createMemoryPeerStore, pairKey, PEER_PAIR_TTL_MS, type PeerStore } from "./peers.js";
import { createMemoryRevocationStore, REVOCATION_TTL_MS, revokedBy, sessionKey, userKey, type RevocationStore } from "./revocations.js";
import { DEFAULT_SEEN_TTL_MS, type SeenIdStore } from "./webhook.js";

export type RedisClient = ReturnType<typeof createClient>;

/** Everything the app shares through Redis when it runs as several instances. */
export interface RedisBackend {
  /** Socket.IO adapter: an emit on one instance reaches matching sockets on all of them. */
  adapter: ServerOptions["adapter"];
  seenIds: SeenIdStore;
  lastSeen: LastSeenStore;
  rateLimiter: RateLimiterRedis;
  revocations: RevocationStore;
  peers: PeerStore;
  /** Rejects unless both connections are up and `PING` answers within `timeoutMs`. */
  checkReady(timeoutMs?: number): Promise<void>;
  /** Closes both connections (gracefully when Redis is up). Safe to call twice. */
  close(): Promise<void>;
}

export interface RedisBackendOptions {
  url: string;
  logger: Logger;
  /** Prefix for every key and channel; tests use a unique one on a shared Redis. */
  keyPrefix?: string;
  /** How long one Redis command may take before the caller treats Redis as down. */
  commandTimeoutMs?: number;
}

const DEFAULT_KEY_PREFIX = "chat:";
const DEFAULT_COMMAND_TIMEOUT_MS = 1_000;
const DEFAULT_PING_TIMEOUT_MS = 500;
const MAX_RECONNECT_DELAY_MS = 2_000;

/**
 * Connects to Redis and builds the Redis adapters. Returns at once: the clients
 * connect (and later reconnect) in the background, `checkReady` says when they are
 * up, and errors are logged, never thrown, so sockets keep being served meanwhile.
 */
export function createRedisBackend({
  url,
  logger,
  keyPrefix = DEFAULT_KEY_PREFIX,
  commandTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS,
}: RedisBackendOptions): RedisBackend {
  const pub = connectClient(url, "pub", logger);
  // Pub/sub needs a connection of its own: a subscribed connection cannot run other commands.
  const sub = connectClient(url, "sub", logger);

  const logRejection = (error: unknown, command: string) =>
    logger.warn("redis adapter command failed", { command, error: errorMessage(error) });

  // The plain (pub/sub) adapter, not the streams one: the streams adapter exists for
  // Socket.IO's connection state recovery (replaying missed packets after a reconnect),
  // which we do not need because clients repair gaps themselves with an HTTP catch-up
  // (`after=`) on every reconnect. Pub/sub keeps nothing in Redis.
  const adapter = createAdapter(observeRejections(pub, logRejection), observeRejections(sub, logRejection), {
    key: `${keyPrefix}socket.io`,
  });

  const rateLimiter = new RateLimiterRedis({
    ...SOCKET_EVENT_LIMIT,
    storeClient: pub,
    useRedisPackage: true,
    keyPrefix: `${keyPrefix}rl:socket`,
    // Fall back at once to the in-process limiter while Redis is down, instead of queueing.
    rejectIfRedisNotReady: true,
    insuranceLimiter: createMemoryRateLimiter(),
  });

  let closing: Promise<void> | undefined;

  return {
    adapter,
    seenIds: createRedisSeenIdStore(pub, { keyPrefix: `${keyPrefix}push:`, timeoutMs: commandTimeoutMs }),
    lastSeen: createRedisLastSeenStore(pub, { key: `${keyPrefix}lastseen`, timeoutMs: commandTimeoutMs }),
    rateLimiter,
    revocations: createRedisRevocationStore(pub, { keyPrefix: `${keyPrefix}revoked:`, timeoutMs: commandTimeoutMs, logger }),
    peers: createRedisPeerStore(pub, { keyPrefix: `${keyPrefix}peers:`, timeoutMs: commandTimeoutMs }),
    async checkReady(timeoutMs = DEFAULT_PING_TIMEOUT_MS) {
      if (!pub.isReady || !sub.isReady) throw new Error("Redis is not connected");
      await withTimeout(pub.ping(), timeoutMs, "Redis PING timed out");
    },
    close() {
      closing ??= Promise.all([closeClient(pub), closeClient(sub)]).then(() => {});
      return closing;
    },
  };
}

/** What a RedisBackend hands to `createApp` (the matching fields of its `AppDeps`). */
export interface RedisAppDeps {
  seenIds: SeenIdStore;
  lastSeen: LastSeenStore;
  adapter: ServerOptions["adapter"];
  rateLimiter: RateLimiterRedis;
  revocations: RevocationStore;
  peers: PeerStore;
  readinessChecks: Record<string, () => Promise<void>>;
  release: () => Promise<void>;
}

export function redisAppDeps(redis: RedisBackend): RedisAppDeps {
  return {
    seenIds: redis.seenIds,
    revocations: redis.revocations,
    peers: redis.peers,
    lastSeen: redis.lastSeen,
    adapter: redis.adapter,
    rateLimiter: redis.rateLimiter,
    readinessChecks: { redis: () => redis.checkReady() },
    release: () => redis.close(),
  };
}

export interface RedisSeenIdStoreOptions {
  keyPrefix?: string;
  ttlMs?: number;
  timeoutMs?: number;
}

/**
 * SeenIdStore on Redis, shared by every instance: `SET key 1 NX PX ttl` succeeds for
 * the first instance to see an id. Rejects when Redis is not connected or slow, so
 * the push is refused with 503 and retried rather than emitted unchecked.
 */
export function createRedisSeenIdStore(
  client: RedisClient,
  {
    keyPrefix = `${DEFAULT_KEY_PREFIX}push:`,
    ttlMs = DEFAULT_SEEN_TTL_MS,
    timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS,
  }: RedisSeenIdStoreOptions = {},
): SeenIdStore {
  return {
    async markSeen(id) {
      // Fail fast: while reconnecting, node-redis would queue the command until Redis returns.
      if (!client.isReady) throw new Error("Redis is not connected");
      const reply = await withTimeout(
        client.set(`${keyPrefix}${id}`, "1", { condition: "NX", expiration: { type: "PX", value: ttlMs } }),
        timeoutMs,
        "Redis SET timed out",
      );
      return reply === "OK";
    },
    async markSeenMany(ids) {
      if (!client.isReady) throw new Error("Redis is not connected");
      // One round trip; SET NX runs in order, so a repeat within `ids` is seen.
      const pipeline = client.multi();
      for (const id of ids) pipeline.set(`${keyPrefix}${id}`, "1", { condition: "NX", expiration: { type: "PX", value: ttlMs } });
      const replies = await withTimeout(pipeline.execAsPipeline(), timeoutMs, "Redis SET pipeline timed out");
      return replies.map((reply) => String(reply) === "OK");
    },
  };
}

/**
 * Revocations in Redis, so every instance refuses a signed-out session: `SET <prefix>s:<session> 1`
 * or `SET <prefix>u:<user> <epoch seconds>`, each for REVOCATION_TTL_MS. A memory copy of what
 * this instance recorded answers while Redis is away (a handshake is never held up by it).
 */
export function createRedisRevocationStore(
  client: RedisClient,
  { keyPrefix, timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS, logger }: { keyPrefix: string; timeoutMs?: number; logger: Logger },
): RevocationStore {
  const local = createMemoryRevocationStore();
  return {
    async revoke(revoked) {
      await local.revoke(revoked);
      // A sign-out must reach the other instances: this rejects (and the push is retried) without Redis.
      if (!client.isReady) throw new Error("Redis is not connected");
      const key = revoked.sessionId === null ? userKey(revoked.userId) : sessionKey(revoked.sessionId);
      const value = String(Math.floor(Date.now() / 1000));
      await withTimeout(
        client.set(`${keyPrefix}${key}`, value, { expiration: { type: "PX", value: REVOCATION_TTL_MS } }),
        timeoutMs,
        "Redis SET timed out",
      );
    },
    async isRevoked(token) {
      if (local.lookup(token)) return true;
      if (!client.isReady) return false;
      try {
        const keys = [`${keyPrefix}${userKey(token.userId)}`];
        if (token.sessionId !== null) keys.push(`${keyPrefix}${sessionKey(token.sessionId)}`);
        const [user, session] = await withTimeout(client.mGet(keys), timeoutMs, "Redis MGET timed out");
        return revokedBy(token, session != null, user == null ? null : Number(user));
      } catch (error) {
        logger.warn("revocation lookup failed; answering from this instance's memory", { error: errorMessage(error) });
        return false;
      }
    },
  };
}

/**
 * Peer pairs in Redis (`SET <prefix><a>:<b> 1`, PEER_PAIR_TTL_MS), so a conversation started
 * through one instance allows typing on all of them. A memory copy spares repeated writes and
 * remembers pairs found in Redis.
 */
export function createRedisPeerStore(
  client: RedisClient,
  { keyPrefix, timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS }: { keyPrefix: string; timeoutMs?: number },
): PeerStore {
  // Pairs this instance wrote or read within the hour: re-written (TTL refreshed) after that.
  const known = createMemoryPeerStore({ ttlMs: 60 * 60_000 });
  return {
    async add(a, b) {
      if (known.hasSync(a, b)) return false;
      if (!client.isReady) throw new Error("Redis is not connected");
      const key = `${keyPrefix}${pairKey(a, b)}`;
      const expiration = { type: "PX", value: PEER_PAIR_TTL_MS } as const;
      const created = (await withTimeout(client.set(key, "1", { condition: "NX", expiration }), timeoutMs, "Redis SET timed out")) === "OK";
      // Known already (another instance, or before this one's memory): keep it another TTL.
      if (!created) await withTimeout(client.pExpire(key, PEER_PAIR_TTL_MS), timeoutMs, "Redis PEXPIRE timed out");
      await known.add(a, b);
      return created;
    },
    async has(a, b) {
      if (known.hasSync(a, b)) return true;
      if (!client.isReady) throw new Error("Redis is not connected");
      const found = (await withTimeout(client.exists(`${keyPrefix}${pairKey(a, b)}`), timeoutMs, "Redis EXISTS timed out")) === 1;
      if (found) await known.add(a, b);
      return found;
    },
  };
}

/** Last-seen times in one Redis hash, shared by every instance (kept as long as Redis keeps it). */
export function createRedisLastSeenStore(
  client: RedisClient,
  { key, timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS }: { key: string; timeoutMs?: number },
): LastSeenStore {
  return {
    async get(userIds) {
      if (userIds.length === 0 || !client.isReady) return new Map();
      const values = await withTimeout(client.hmGet(key, userIds), timeoutMs, "Redis HMGET timed out");
      return new Map(userIds.flatMap((id, i) => (values[i] ? [[id, String(values[i])] as const] : [])));
    },
    async set(userId, at) {
      if (!client.isReady) throw new Error("Redis is not connected");
      await withTimeout(client.hSet(key, userId, at), timeoutMs, "Redis HSET timed out");
    },
  };
}

function connectClient(url: string, role: "pub" | "sub", logger: Logger): RedisClient {
  const client = createClient({
    url,
    socket: {
      connectTimeout: 2_000,
      // Retry forever with capped, jittered backoff: Redis restarts must heal by themselves.
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS) + Math.floor(Math.random() * 100),
    },
  });

  // One error line per outage (node-redis reports every failed reconnect attempt).
  let healthy = true;
  client.on("error", (error: unknown) => {
    if (healthy) logger.error("redis connection error", { role, error: errorMessage(error) });
    else logger.debug("redis still unreachable", { role, error: errorMessage(error) });
    healthy = false;
  });
  client.on("ready", () => {
    logger.info(healthy ? "redis connected" : "redis reconnected", { role });
    healthy = true;
  });

  // IMPORTANT: without an "error" listener node-redis would crash the process; the
  // listener above is attached first. connect() only rejects if reconnecting stops.
  client.connect().catch((error: unknown) => logger.error("redis connect failed", { role, error: errorMessage(error) }));
  return client;
}

async function closeClient(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  if (!client.isReady) {
    // close() would wait for a connection that may never come back.
    client.destroy();
    return;
  }
  try {
    await withTimeout(client.close(), 1_000, "Redis close timed out");
  } catch {
    client.destroy();
  }
}

/**
 * IMPORTANT: the Socket.IO Redis adapter fires commands without awaiting them
 * (PUBLISH on every emit, UNSUBSCRIBE on close). While Redis is down such a command
 * rejects, and an unhandled rejection would end the process. This view of the client
 * observes every promise it returns (callers that await still see the failure).
 * Methods run on the real client, whose private fields a Proxy receiver would break.
 */
function observeRejections<T extends object>(client: T, onRejected: (error: unknown, command: string) => void): T {
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function" || property === "constructor") return value;
      return (...args: unknown[]) => {
        const result: unknown = Reflect.apply(value, target, args);
        if (result instanceof Promise) result.catch((error: unknown) => onRejected(error, String(property)));
        return result;
      };
    },
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  // The losing promise must not surface later as an unhandled rejection.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
