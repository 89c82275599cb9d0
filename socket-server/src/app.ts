import { createServer, type Server as HttpServer } from "node:http";
import express, { type ErrorRequestHandler, type RequestHandler } from "express";
import { Server, type Socket } from "socket.io";
import { authenticateSocket, disconnectOnExpiry, userRoom, type AccessTokenVerifier } from "./auth.js";
import type { ClientToServerEvents, ServerToClientEvents, SocketData } from "./events.js";
import { consoleLogger, type Logger } from "./logger.js";
import { createPushHandler, type SeenIdStore } from "./webhook.js";

type InterServerEvents = Record<string, never>;
export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** The slice of `Env` the app itself needs. */
export interface AppConfig {
  webhookSecrets: string[];
  webOrigins: string[];
}

export interface AppDeps {
  config: AppConfig;
  verifier: AccessTokenVerifier;
  seenIds: SeenIdStore;
  logger?: Logger;
}

export interface App {
  httpServer: HttpServer;
  io: ChatServer;
  /** Disconnects every socket and closes the HTTP server. Safe to call twice. */
  close(): Promise<void>;
}

/** Clients only receive; nothing they send is bigger than a handshake. */
const MAX_SOCKET_MESSAGE_BYTES = 16 * 1024;

/**
 * Builds the HTTP routes and the Socket.IO server on one node:http server.
 * Never listens: `index.ts` does, and tests listen on port 0.
 */
export function createApp({ config, verifier, seenIds, logger = consoleLogger }: AppDeps): App {
  const app = express();
  app.disable("x-powered-by");
  const httpServer = createServer(app);

  // CORS covers the long-polling transport. WebSockets skip CORS, which is fine:
  // auth is a bearer token in the handshake, never an ambient cookie.
  const io: ChatServer = new Server(httpServer, {
    cors: { origin: config.webOrigins, methods: ["GET", "POST"] },
    maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES,
    serveClient: false,
  });

  io.use(authenticateSocket(verifier, logger));
  io.on("connection", (socket) => {
    void socket.join(userRoom(socket.data.userId));
    disconnectOnExpiry(socket);
  });

  app.get("/healthz", (_req, res) => {
    res.json({ data: { ok: true } });
  });
  app.post(
    "/webhooks/messages",
    createPushHandler({ io, webhookSecrets: config.webhookSecrets, seenIds, logger }),
  );
  app.use(notFound);
  app.use(handleError(logger));

  let closing: Promise<void> | undefined;
  const close = () => {
    // io.close() disconnects every socket, then closes httpServer (and reports,
    // harmlessly, if it was never listening).
    closing ??= new Promise<void>((resolve) => {
      void io.close(() => resolve());
    });
    return closing;
  };

  return { httpServer, io, close };
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
