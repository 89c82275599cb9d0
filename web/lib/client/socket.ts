import { io, type Socket } from "socket.io-client";
import type { ClientToServerEvents, HandshakeAuth, PresenceState, RateLimitedPayload, ServerToClientEvents } from "socket-server/contract";
import type { Change, ChatMessage, ConversationUpdate, ReadState, TypingPayload, TypingTarget } from "@/lib/types";
import { normalizeMessage } from "./api";
import { SessionEndedError, type TokenSource } from "./session";

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** `connecting` before the first connect, `reconnecting` after a drop, `signed-out` for good. */
export type ConnectionState = "connecting" | "connected" | "reconnecting" | "signed-out";

/** Why the session ended for good: signed out (here or on another device), or it expired. */
export type SessionEndReason = "signed_out" | "expired";

export interface ChatConnectionHandlers {
  onState(state: ConnectionState): void;
  /** Every (re)connect: the moment to fetch what was missed while down. */
  onConnect(): void;
  onMessage(message: ChatMessage): void;
  /** A message was edited or deleted, or a reaction added or removed (ordered by `change.pos`). */
  onMessageChanged?(change: Change): void;
  /** The connection will not come back: the user must sign in again. */
  onSessionEnded(reason: SessionEndReason): void;
  /** A read position moved: mine (another tab) or the peer's ("Seen"). */
  onReadUpdated?(state: ReadState): void;
  /** A user we follow (`subscribePresence`) went online or offline. */
  onPresence?(state: PresenceState): void;
  /** A peer started or stopped typing to us, or a member in one of our groups. */
  onTyping?(payload: TypingPayload): void;
  /** A group was renamed or its members changed (we may be the one removed). */
  onConversationUpdated?(update: ConversationUpdate): void;
  /** The server dropped an event we sent (too many typing events). */
  onRateLimited?(payload: RateLimitedPayload): void;
}

export interface ChatConnection {
  /** The Socket.IO client, e.g. to listen to more events. */
  readonly socket: ChatSocket;
  /** The network or the tab is back: try now instead of waiting out the backoff. */
  reconnectNow(): void;
  /**
   * Follows these users' presence (replacing the previous list) and answers their current
   * state; null when not connected or no answer came. The server forgets the list when the
   * socket drops: subscribe again after every connect.
   */
  subscribePresence(userIds: string[]): Promise<PresenceState[] | null>;
  /** Tells a peer (`{ to }`) or a group (`{ conversationId }`) we started or stopped typing; dropped (never queued) while disconnected. */
  sendTyping(target: TypingTarget, typing: boolean): void;
  close(): void;
}

const MAX_RETRY_DELAY_MS = 10_000;
const PRESENCE_ACK_TIMEOUT_MS = 5_000;
// Spreads reconnects after a server restart a little more than the server already does.
const SHUTDOWN_JITTER_MS = 500;

/**
 * Opens the realtime connection and keeps it open across token expiry, server restarts and
 * outages, until `close()` or the end of the session.
 *
 * IMPORTANT: Socket.IO retries transport failures by itself, but not a refusal by the
 * server's auth middleware (`connect_error` "unauthorized") nor a server-side disconnect
 * (after `auth:error` or `server:shutdown`). Those paths reconnect here: with a fresh token,
 * after the delay `server:shutdown` asked for, or never (`auth:error` `signed_out`).
 */
export function connectChatSocket(url: string, tokens: TokenSource, handlers: ChatConnectionHandlers): ChatConnection {
  let closed = false;
  let sessionEnded = false;
  let hasConnected = false;
  let attempts = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  // Set by server:shutdown, used by the disconnect that follows it.
  let shutdownDelayMs: number | null = null;

  const socket: ChatSocket = io(url, {
    autoConnect: false,
    // WebSocket only: no long-polling, so several socket servers need no sticky sessions.
    transports: ["websocket"],
    reconnectionDelayMax: MAX_RETRY_DELAY_MS,
    // Called before every (re)connect, so each attempt carries a current token (and the peers
    // ticket fetched with it: typing and presence reach only people who share a conversation).
    auth: (send) => {
      tokens.getToken().then(
        (token) => {
          const peersTicket = tokens.peersTicket?.();
          send((peersTicket ? { token, peersTicket } : { token }) satisfies HandshakeAuth);
        },
        (error: unknown) => {
          if (error instanceof SessionEndedError) sessionEnded = true;
          // The server refuses this; connect_error then decides whether to retry.
          send({});
        },
      );
    },
  });

  const setDown = () => handlers.onState(hasConnected ? "reconnecting" : "connecting");

  const endSession = (reason: SessionEndReason) => {
    if (closed) return;
    closed = true;
    sessionEnded = true;
    clearTimeout(retryTimer);
    socket.disconnect();
    handlers.onState("signed-out");
    handlers.onSessionEnded(reason);
  };

  const scheduleReconnect = (delayMs?: number) => {
    if (closed || sessionEnded) return;
    clearTimeout(retryTimer);
    // First retry at once (typically a fresh token fixes it); then back off with jitter.
    const delay = delayMs ?? (attempts === 0 ? 0 : Math.min(MAX_RETRY_DELAY_MS, 500 * 2 ** attempts) * (0.5 + Math.random() / 2));
    attempts += 1;
    retryTimer = setTimeout(() => {
      if (!closed && !socket.connected) socket.connect();
    }, delay);
  };

  socket.on("connect", () => {
    attempts = 0;
    shutdownDelayMs = null;
    hasConnected = true;
    handlers.onState("connected");
    handlers.onConnect();
  });

  socket.on("disconnect", (reason) => {
    if (closed || sessionEnded) return;
    setDown();
    // The server hung up on purpose (auth:error, server:shutdown): Socket.IO will not retry this.
    if (reason === "io server disconnect") {
      const delay = shutdownDelayMs;
      shutdownDelayMs = null;
      if (delay === null) return scheduleReconnect();
      attempts = 0;
      scheduleReconnect(delay + Math.random() * SHUTDOWN_JITTER_MS);
    }
  });

  socket.on("connect_error", (error) => {
    if (closed) return;
    if (sessionEnded) return endSession("expired");
    setDown();
    // socket.active is false when the server refused us (not a network failure).
    if (!socket.active) {
      if (error.message === "unauthorized") tokens.invalidate();
      // too_many_connections: the user has SOCKET_MAX_PER_USER sockets open elsewhere; the
      // backoff retries slowly until one closes.
      scheduleReconnect();
    }
  });

  socket.on("auth:error", (error) => {
    // The session ended (logout here, in another tab or elsewhere): never reconnect.
    if (error.code === "signed_out") return endSession("signed_out");
    // token_expired (or anything else): the next connect fetches a fresh token.
    tokens.invalidate();
  });
  socket.on("server:shutdown", ({ reconnectInMs }) => {
    shutdownDelayMs = Math.max(0, Math.min(reconnectInMs, 60_000));
  });
  socket.on("error:rate_limited", (payload) => handlers.onRateLimited?.(payload));
  socket.on("message:new", (message) => handlers.onMessage(normalizeMessage(message)));
  socket.on("message:changed", (change) => handlers.onMessageChanged?.({ ...change, message: normalizeMessage(change.message) }));
  socket.on("read:updated", (state) => handlers.onReadUpdated?.(state));
  socket.on("presence:update", (state) => handlers.onPresence?.(state));
  socket.on("typing:update", (payload) => handlers.onTyping?.(payload));
  socket.on("conversation:updated", (update) => handlers.onConversationUpdated?.(update));

  handlers.onState("connecting");
  // A task later, not now: React's development double mount (start, stop, start) would
  // otherwise close a WebSocket that is still connecting, which the browser logs as a warning.
  let firstConnect: ReturnType<typeof setTimeout> | undefined = setTimeout(() => {
    firstConnect = undefined;
    if (!closed) socket.connect();
  }, 0);

  return {
    socket,
    reconnectNow() {
      if (closed || sessionEnded || socket.connected) return;
      attempts = 0;
      if (socket.active) {
        // Socket.IO is waiting out its own backoff: restart the attempt now.
        socket.disconnect();
      }
      scheduleReconnect(0);
    },
    subscribePresence(userIds) {
      if (closed || !socket.connected) return Promise.resolve(null);
      return new Promise((resolve) => {
        socket.timeout(PRESENCE_ACK_TIMEOUT_MS).emit("presence:subscribe", userIds, (error, states) => {
          resolve(error || !Array.isArray(states) ? null : states);
        });
      });
    },
    sendTyping(target, typing) {
      // Not queued while down (stale by the time it went out). Not volatile either: that drops an
      // event while the previous one is still being written, e.g. the stop right after a start.
      if (closed || !socket.connected) return;
      socket.emit(typing ? "typing:start" : "typing:stop", "to" in target ? { to: target.to } : { conversationId: target.conversationId });
    },
    close() {
      closed = true;
      clearTimeout(firstConnect);
      clearTimeout(retryTimer);
      socket.removeAllListeners();
      socket.disconnect();
    },
  };
}
