import { io, type Socket } from "socket.io-client";
import type { ClientToServerEvents, ServerToClientEvents } from "socket-server/events";
import type { ChatMessage } from "@/lib/types";
import { SessionEndedError, type TokenSource } from "./session";

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** `connecting` before the first connect, `reconnecting` after a drop, `signed-out` for good. */
export type ConnectionState = "connecting" | "connected" | "reconnecting" | "signed-out";

export interface ChatConnectionHandlers {
  onState(state: ConnectionState): void;
  /** Every (re)connect: the moment to fetch what was missed while down. */
  onConnect(): void;
  onMessage(message: ChatMessage): void;
  onSessionEnded(): void;
}

const MAX_RETRY_DELAY_MS = 10_000;

/**
 * Opens the realtime connection and keeps it open across token expiry and outages.
 * Returns a function that closes it.
 *
 * IMPORTANT: Socket.IO retries transport failures by itself, but not a refusal by the
 * server's auth middleware (`connect_error` "unauthorized") nor a server-side disconnect
 * (sent after `auth:error`). Those two paths fetch a fresh token and reconnect here.
 */
export function connectChatSocket(url: string, tokens: TokenSource, handlers: ChatConnectionHandlers): () => void {
  let closed = false;
  let sessionEnded = false;
  let hasConnected = false;
  let attempts = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const socket: ChatSocket = io(url, {
    autoConnect: false,
    // WebSocket only: no long-polling, so several socket servers need no sticky sessions.
    transports: ["websocket"],
    reconnectionDelayMax: MAX_RETRY_DELAY_MS,
    // Called before every (re)connect, so each attempt carries a current token.
    auth: (send) => {
      tokens.getToken().then(
        (token) => send({ token }),
        (error: unknown) => {
          if (error instanceof SessionEndedError) sessionEnded = true;
          // The server refuses this; connect_error then decides whether to retry.
          send({});
        },
      );
    },
  });

  const setDown = () => handlers.onState(hasConnected ? "reconnecting" : "connecting");

  const endSession = () => {
    clearTimeout(retryTimer);
    socket.disconnect();
    handlers.onState("signed-out");
    handlers.onSessionEnded();
  };

  const scheduleReconnect = () => {
    if (closed) return;
    clearTimeout(retryTimer);
    // First retry at once (typically a fresh token fixes it); then back off with jitter.
    const delay = attempts === 0 ? 0 : Math.min(MAX_RETRY_DELAY_MS, 500 * 2 ** attempts) * (0.5 + Math.random() / 2);
    attempts += 1;
    retryTimer = setTimeout(() => {
      if (!closed && !socket.connected) socket.connect();
    }, delay);
  };

  socket.on("connect", () => {
    attempts = 0;
    hasConnected = true;
    handlers.onState("connected");
    handlers.onConnect();
  });

  socket.on("disconnect", (reason) => {
    if (closed) return;
    setDown();
    // The server hung up on purpose (e.g. after auth:error): Socket.IO will not retry this.
    if (reason === "io server disconnect") scheduleReconnect();
  });

  socket.on("connect_error", (error) => {
    if (closed) return;
    if (sessionEnded) return endSession();
    setDown();
    // socket.active is false when the server refused us (not a network failure).
    if (!socket.active) {
      if (error.message === "unauthorized") tokens.invalidate();
      scheduleReconnect();
    }
  });

  socket.on("auth:error", () => tokens.invalidate());
  socket.on("message:new", (message) => handlers.onMessage(message));

  // Come back quickly when the network returns instead of waiting out our backoff
  // (Socket.IO's own retries, when socket.active, are left alone).
  const onOnline = () => {
    if (!closed && !sessionEnded && !socket.active) {
      attempts = 0;
      scheduleReconnect();
    }
  };
  window.addEventListener("online", onOnline);

  handlers.onState("connecting");
  socket.connect();

  return () => {
    closed = true;
    clearTimeout(retryTimer);
    window.removeEventListener("online", onOnline);
    socket.removeAllListeners();
    socket.disconnect();
  };
}
