/**
 * The wire contract between the web app, the socket server and browsers.
 * Shared by type-only imports (`import type … from "socket-server/events"`), so
 * it must stay free of runtime code.
 */

/** A stored chat message as every API and event carries it. */
export interface ChatMessage {
  id: string;
  conversationId: string;
  /** Position within the conversation: strictly increasing in commit order. */
  seq: number;
  senderId: string;
  recipientId: string;
  content: string;
  clientId: string;
  createdAt: string;
}

/** Body of a signed webhook push (`POST /webhooks/messages`). */
export interface MessagePush {
  type: "message.created";
  data: ChatMessage;
}

/**
 * Sent just before the server disconnects a socket for an auth reason. After it
 * the server calls `disconnect(true)`, so the client does not reconnect on its
 * own: it must fetch a fresh access token and connect again.
 */
export interface AuthErrorPayload {
  code: "token_expired";
}

/**
 * Sent to every socket of an instance that is shutting down, just before the server
 * disconnects it (`disconnect(true)`, so Socket.IO will not retry by itself). Reconnect
 * after about `reconnectInMs` (jittered per socket, so clients do not stampede the
 * remaining instances); the load balancer routes the new connection elsewhere.
 */
export interface ServerShutdownPayload {
  reconnectInMs: number;
}

/** A client→server event was dropped: this socket sent too many. Retry after `retryAfterMs`. */
export interface RateLimitedPayload {
  event: string;
  retryAfterMs: number;
}

export interface ServerToClientEvents {
  "message:new": (message: ChatMessage) => void;
  "auth:error": (error: AuthErrorPayload) => void;
  "server:shutdown": (payload: ServerShutdownPayload) => void;
  "error:rate_limited": (payload: RateLimitedPayload) => void;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ClientToServerEvents {}

export interface SocketData {
  userId: string;
  email: string;
  /** When the socket's access token expires (epoch ms); the server disconnects it then. */
  expiresAt: number;
}
