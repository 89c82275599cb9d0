import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import express, { type ErrorRequestHandler, type RequestHandler } from "express";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import { Server, type ServerOptions } from "socket.io";
import { authenticateSocket, disconnectOnExpiry, limitSocketsPerUser, type AccessTokenVerifier } from "./auth.js";
import { createLogger, type Logger } from "./logger.js";
import { createMetrics, createMetricsHandler, type Metrics } from "./metrics.js";
import { createMemoryRateLimiter, limitSocketEvents } from "./rate-limit.js";
import { attachPresence, createMemoryLastSeenStore, type LastSeenStore } from "./presence.js";
import { createMemoryPeerStore, peersTicketKey, type PeerStore } from "./peers.js";
import { createMemoryRevocationStore, type RevocationStore } from "./revocations.js";
import type { ChatServer, ChatSocket } from "./types.js";
import { createPushReceiver, isPushRequest, type SeenIdStore } from "./webhook.js";

/** The slice of `Env` the app itself needs. */
export interface AppConfig {
  webhookSecrets: string[];
  webOrigins: string[];
  /** When set, `GET /metrics` requires `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /** Most sockets one user may hold across every instance (`SOCKET_MAX_PER_USER`); default 10. */
  maxSocketsPerUser?: number;
}

export const DEFAULT_MAX_SOCKETS_PER_USER = 10;

export interface AppDeps {
  config: AppConfig;
  verifier: AccessTokenVerifier;
  seenIds: SeenIdStore;
  logger?: Logger;
  /** Socket.IO adapter; the default (in memory) serves one instance, the Redis one several. */
  adapter?: ServerOptions["adapter"];
  /** Limits client→server events per user; in memory by default. */
  rateLimiter?: RateLimiterAbstract;
  /** Signed-out sessions (from `session.revoked` pushes); in memory by default. */
  revocations?: RevocationStore;
  /** Pairs of users who share a conversation, learned from message pushes; in memory by default. */
  peers?: PeerStore;
  /** Probes `/readyz` runs, by dependency name (e.g. `redis`); each rejects, quickly, when not ready. */
  readinessChecks?: Record<string, () => Promise<void>>;
  /** Runs last in `close()`, e.g. to close Redis connections. */
  release?: () => Promise<void>;
  /** When each user was last online; in memory by default. */
  lastSeen?: LastSeenStore;
}

export interface ShutdownOptions {
  /** Longest wait for in-flight pushes before their connections are cut. */
  graceMs?: number;
}

export interface App {
  httpServer: HttpServer;
  io: ChatServer;
  metrics: Metrics;
  /**
   * Graceful stop: `/readyz` turns 503 at once, new socket connections and new pushes
   * are refused, connected sockets get `server:shutdown` and are disconnected,
   * in-flight pushes finish (up to `graceMs`), then everything closes. Safe to call twice.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
  /** Disconnects every socket, closes the HTTP server and releases dependencies. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Clients mostly receive; nothing they send is bigger than a handshake, whose peers ticket may
 * list 1,000 peers and 1,000 groups (about 100 KiB with the access token).
 */
const MAX_SOCKET_MESSAGE_BYTES = 128 * 1024;
const DEFAULT_SHUTDOWN_GRACE_MS = 8_000;
// server:shutdown spreads reconnects over this window, so the remaining instances are not stampeded.
const RECONNECT_SPREAD_MS = 3_000;
// Probes hit these every few seconds: their log lines are debug, not info.
const PROBE_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

/**
 * Builds the HTTP routes and the Socket.IO server on one node:http server.
 * Never listens: `index.ts` does, and tests listen on port 0.
 *
 * Load balancing several instances: clients connect with the WebSocket transport
 * only (`transports: ["websocket"]`), so a whole session is one TCP connection and
 * no sticky sessions are needed (HTTP long-polling would need them: its requests
 * must all reach the instance that holds the session). The balancer must pass
 * WebSocket upgrades and keep idle connections open longer than Socket.IO's
 * heartbeat (25 s). Pushes may hit any instance: with the Redis adapter an emit on
 * one reaches the user's sockets on all of them, and the Redis SeenIdStore drops a
 * webhook-id that another instance already delivered. Route health checks to `/readyz`.
 */
export function createApp({
  config,
  verifier,
  seenIds,
  logger = createLogger(),
  adapter,
  rateLimiter = createMemoryRateLimiter(),
  readinessChecks = {},
  release,
  lastSeen = createMemoryLastSeenStore(),
  revocations = createMemoryRevocationStore(),
  peers = createMemoryPeerStore(),
}: AppDeps): App {
  const app = express();
  app.disable("x-powered-by");
  let shuttingDown = false;
  // Filled in below, once io and the metrics exist; no request arrives before listen().
  let receivePush: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  // IMPORTANT: pushes are the hot path: answered here, ahead of Express, which serves the rest.
  const httpServer = createServer((req, res) => {
    if (isPushRequest(req)) receivePush(req, res);
    else app(req, res);
  });
  const allowedOrigins = new Set(config.webOrigins);

  // CORS covers the long-polling transport. WebSockets skip CORS, so allowRequest
  // checks the Origin too: a browser always sends one, and it must be ours. No Origin
  // means a non-browser client, which is fine: auth is a bearer token, never a cookie.
  const io: ChatServer = new Server(httpServer, {
    cors: { origin: config.webOrigins, methods: ["GET", "POST"] },
    maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES,
    serveClient: false,
    ...(adapter && { adapter }),
    allowRequest: (req, callback) => {
      if (shuttingDown) return callback("server shutting down", false);
      const origin = req.headers.origin;
      if (origin === undefined || allowedOrigins.has(origin)) return callback(null, true);
      logger.info("socket refused", { reason: "origin_not_allowed", origin });
      callback("origin not allowed", false);
    },
  });
  const metrics = createMetrics({ countSockets: () => io.of("/").sockets.size });

  const sayGoodbye = (socket: ChatSocket) => {
    socket.emit("server:shutdown", { reconnectInMs: Math.floor(Math.random() * RECONNECT_SPREAD_MS) });
    socket.disconnect(true);
  };

  io.use(authenticateSocket({ verifier, revocations, peersTicketKeys: config.webhookSecrets.map(peersTicketKey), logger }));
  // Joins the user's room (user:<id>) once admitted.
  io.use(limitSocketsPerUser(io, { maxPerUser: config.maxSocketsPerUser ?? DEFAULT_MAX_SOCKETS_PER_USER, logger }));
  const presence = attachPresence(io, { lastSeen, peers, logger, onForbidden: () => metrics.eventsForbidden.inc() });
  const pushReceiver = createPushReceiver({
    io,
    webhookSecrets: config.webhookSecrets,
    seenIds,
    revocations,
    peers,
    logger,
    metrics,
    isShuttingDown: () => shuttingDown,
    onNewPeers: (a, b) => {
      presence.introduce(a, b).catch((error: unknown) => logger.warn("presence introduction failed", { error: String(error) }));
    },
  });
  receivePush = (req, res) => pushReceiver.handle(req, res);

  io.on("connection", (socket) => {
    // Authenticated while shutdown began: send it elsewhere at once.
    if (shuttingDown) return sayGoodbye(socket);
    disconnectOnExpiry(socket);
    socket.use(limitSocketEvents(socket, { limiter: rateLimiter, metrics, logger }));
    presence.onConnection(socket);
    logger.debug("socket connected", { userId: socket.data.userId });
    socket.once("disconnect", (reason) => logger.debug("socket disconnected", { userId: socket.data.userId, reason }));
  });

  app.use(logRequests(logger));
  app.use((_req, res, next) => {
    // Keep-alive connections must not outlive the shutdown.
    if (shuttingDown) res.setHeader("Connection", "close");
    next();
  });
  app.get("/healthz", (_req, res) => {
    res.json({ data: { ok: true } });
  });
  app.get("/readyz", async (_req, res) => {
    if (shuttingDown) {
      res.status(503).json({ error: { code: "shutting_down", message: "Server is shutting down" } });
      return;
    }
    const results = await Promise.allSettled(Object.values(readinessChecks).map((check) => check()));
    const failing = Object.keys(readinessChecks).filter((_name, index) => results[index]?.status === "rejected");
    if (failing.length > 0) {
      res.status(503).json({
        error: {
          code: "unavailable",
          message: `Not ready: ${failing.join(", ")} unreachable`,
          details: failing.map((dependency) => ({ dependency })),
        },
      });
      return;
    }
    res.json({ data: { ready: true } });
  });
  app.get("/metrics", createMetricsHandler(metrics.registry, config.metricsToken));
  app.use(notFound);
  app.use(handleError(logger));

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      shuttingDown = true;
      // io.close() disconnects every socket, then closes httpServer (and reports,
      // harmlessly, if it was never listening).
      await new Promise<void>((resolve) => {
        void io.close(() => resolve());
      });
      try {
        await release?.();
      } catch (error) {
        logger.error("releasing dependencies failed", { error: error instanceof Error ? error.message : String(error) });
      }
    })();
    return closing;
  };

  let shuttingDownPromise: Promise<void> | undefined;
  const shutdown = ({ graceMs = DEFAULT_SHUTDOWN_GRACE_MS }: ShutdownOptions = {}) => {
    shuttingDownPromise ??= (async () => {
      shuttingDown = true;
      const sockets = [...io.of("/").sockets.values()];
      logger.info("shutdown started", { sockets: sockets.length, pushesInFlight: pushReceiver.inFlight() });
      for (const socket of sockets) sayGoodbye(socket);
      if (!(await pushReceiver.idle(graceMs))) {
        logger.warn("shutdown grace period over; cutting in-flight pushes", { pushesInFlight: pushReceiver.inFlight() });
        httpServer.closeAllConnections();
      }
      await close();
      logger.info("shutdown complete");
    })();
    return shuttingDownPromise;
  };

  return { httpServer, io, metrics, shutdown, close };
}

/** One line per request: method, path (never the query), status, duration. Nothing from headers or body. */
function logRequests(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const startedAt = performance.now();
    const path = req.path;
    res.once("close", () => {
      const fields = {
        method: req.method,
        path,
        status: res.statusCode,
        durationMs: Math.round((performance.now() - startedAt) * 10) / 10,
        webhookId: typeof res.locals.webhookId === "string" ? res.locals.webhookId : undefined,
        aborted: res.writableFinished ? undefined : true,
      };
      if (PROBE_PATHS.has(path)) logger.debug("http request", fields);
      else logger.info("http request", fields);
    });
    next();
  };
}

const notFound: RequestHandler = (_req, res) => {
  res.status(404).json({ error: { code: "not_found", message: "Not found" } });
};

function handleError(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    const status = (error as { status?: unknown } | null)?.status;
    // Express's own 4xx (e.g. a malformed URL) stay 4xx; anything else is ours.
    if (typeof status === "number" && status >= 400 && status < 500) {
      res.status(status).json({ error: { code: "bad_request", message: "Bad request" } });
      return;
    }
    logger.error("unhandled error", { error: error instanceof Error ? error.message : String(error) });
    res.status(500).json({ error: { code: "internal_error", message: "Internal server error" } });
  };
}
