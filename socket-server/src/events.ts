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

/** A participant's read position in a conversation (one per member, not per message). */
export interface ReadState {
  conversationId: string;
  /** Who read. */
  userId: string;
  /** The other participant. */
  peerId: string;
  /** Every message with seq ≤ this has been read by `userId`. */
  lastReadSeq: number;
}

/** Bodies of signed webhook pushes from the web app (`POST /webhooks/messages`). */
export interface MessagePush {
  type: "message.created";
  data: ChatMessage;
}
export interface SessionRevokedPush {
  type: "session.revoked";
  /** `sessionId` null: every session of the user. */
  data: { userId: string; sessionId: string | null };
}
export interface ReadUpdatedPush {
  type: "read.updated";
  data: ReadState;
}
export type Push = MessagePush | SessionRevokedPush | ReadUpdatedPush;

/** Online state of one user, across all their tabs and every socket-server instance. */
export interface PresenceState {
  userId: string;
  online: boolean;
  /** When the user's last socket left (ISO); null while online or when never seen. */
  lastSeenAt: string | null;
}

export interface TypingPayload {
  /** The user who is typing. */
  from: string;
  typing: boolean;
}

/**
 * Sent just before the server disconnects a socket for an auth reason. After it
 * the server calls `disconnect(true)`, so the client does not reconnect on its
 * own: it must fetch a fresh access token and connect again.
 */
export interface AuthErrorPayload {
  /** token_expired: get a new token and reconnect; signed_out: the session ended, do not reconnect. */
  code: "token_expired" | "signed_out";
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
  /** A read position moved: to the reader (other tabs: unread counts) and the peer ("Seen"). */
  "read:updated": (state: ReadState) => void;
  /** A user you subscribed to went online or offline. */
  "presence:update": (state: PresenceState) => void;
  /** The peer started or stopped typing to you. Ephemeral: never stored. */
  "typing:update": (payload: TypingPayload) => void;
  "auth:error": (error: AuthErrorPayload) => void;
  "server:shutdown": (payload: ServerShutdownPayload) => void;
  "error:rate_limited": (payload: RateLimitedPayload) => void;
}

export interface ClientToServerEvents {
  /**
   * Follow these users' presence (replaces the previous list; at most 200 ids). The ack
   * answers with their current state; changes then arrive as `presence:update`.
   */
  "presence:subscribe": (userIds: string[], ack: (states: PresenceState[]) => void) => void;
  /** Tell `to` that you are typing (throttle on the client: about one per 2 s while typing). */
  "typing:start": (payload: { to: string }) => void;
  "typing:stop": (payload: { to: string }) => void;
}

export interface SocketData {
  userId: string;
  email: string;
  /** The auth session the token belongs to (`session_id` claim); logout disconnects its sockets. */
  sessionId: string | null;
  /** When the socket's access token expires (epoch ms); the server disconnects it then. */
  expiresAt: number;
}
