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
/** One push of a batch: `id` is its dedupe key, the `webhook-id` a single push of it would carry (e.g. `msg_<message id>`). */
export type BatchItem = Push & { id: string };
/**
 * Several pushes in one signed request (at most 500 items, 1 MiB). The batch's own `webhook-id`
 * only signs it; each item is deduped by its `id`. Answered 202 `{ data: { delivered, duplicates } }`.
 */
export interface BatchPush {
  type: "batch";
  data: BatchItem[];
}
/** Any body `POST /webhooks/messages` accepts. */
export type PushBody = Push | BatchPush;

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

/**
 * What a client passes as Socket.IO's `auth` in the handshake: the access token, and the peers
 * ticket `GET /api/auth/session` returned with it (who shares a conversation with the user).
 */
export interface HandshakeAuth {
  token: string;
  peersTicket?: string;
}

/**
 * Why a handshake was refused: the `connect_error`'s `message` (and `data.code`).
 * `unauthorized`: no valid token, a signed-out session, or a bad peers ticket: fetch a new
 * session and retry. `too_many_connections`: the user already has `SOCKET_MAX_PER_USER`
 * sockets open: close one (e.g. another tab) before retrying.
 */
export type ConnectErrorCode = "unauthorized" | "too_many_connections";

/** A client→server event was dropped: it named someone the user shares no conversation with. */
export interface ForbiddenPayload {
  event: string;
  reason: "not_a_peer";
}

/** A client→server event was dropped: this user sent too many (all their sockets together). Retry after `retryAfterMs`. */
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
  /** A `typing:start`/`typing:stop` to someone who is not a peer was dropped. */
  "error:forbidden": (payload: ForbiddenPayload) => void;
}

export interface ClientToServerEvents {
  /**
   * Follow these users' presence (replaces the previous list; at most 200 ids). Only peers
   * (people who share a conversation with you) are followed: the ack answers with their current
   * state and leaves everyone else out; changes then arrive as `presence:update`.
   */
  "presence:subscribe": (userIds: string[], ack: (states: PresenceState[]) => void) => void;
  /**
   * Tell `to` that you are typing (throttle on the client: about one per 2 s while typing).
   * Relayed only to a peer; otherwise dropped with `error:forbidden`.
   */
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
  /** Who the user shares a conversation with, from the peers ticket (and learned since). */
  peers: Set<string>;
}
