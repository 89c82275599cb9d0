/**
 * The wire contract between the web app, the socket server and browsers: the shapes every API
 * response, push and socket event carries. One source: where the socket server validates a
 * payload, the zod schema here is it and the type is inferred from it; the rest are plain types.
 *
 * Imported as `socket-server/contract` by both apps (the browser bundle too), so it holds no
 * runtime code but zod and no relative imports (Next.js transpiles it as is).
 * IMPORTANT: keep changes additive; today's fields keep their meaning for old clients.
 */
import { z } from "zod";

// Ids match Postgres' uuid type (any 8-4-4-4-12 hex), the same set the database accepts.
const id = () => z.guid();

// ─── Stored shapes ──────────────────────────────────────────────────────────────────────────

/** Most user ids one group push or event names (every member of the largest group). */
export const MAX_GROUP_IDS = 10_000;
const userIds = () => z.array(id()).max(MAX_GROUP_IDS);

/** A membership event in a group's timeline (a system message). */
export const systemEventSchema = z.object({
  event: z.enum(["group_created", "member_added", "member_removed", "member_left", "renamed", "owner_changed"]),
  /** Who acted (also the message's senderId). */
  actorId: id(),
  /** Who was added, removed, left, or became owner (group_created: the members besides the creator). */
  userIds: userIds(),
  /** The group's name (group_created, renamed), else null. */
  name: z.string().max(400).nullable(),
});
export type SystemEvent = z.infer<typeof systemEventSchema>;

/** Most attachments one message carries. */
export const MAX_ATTACHMENTS_PER_MESSAGE = 10;

/**
 * A file attached to a message. `contentType` is sniffed from the bytes by the server, never the
 * client's claim. Fetched only through `GET /api/chat/attachments/ID` (authorised, or a
 * short-lived signed URL it redirects to); there is no public URL.
 */
export const attachmentSchema = z.object({
  id: id(),
  /** Sanitised file name (no path, no control characters), at most 255 characters. */
  name: z.string().min(1).max(255),
  /** Sniffed from the bytes; application/octet-stream when unknown. */
  contentType: z.string().min(1).max(255),
  /** Bytes. */
  size: z.number().int().min(0),
  /** "image": a raster image the server decoded (a preview exists); anything else is "file" (SVG too). */
  kind: z.enum(["image", "file"]),
  /** Pixel size of an image (null for a file): previews show at their final size. */
  width: z.number().int().min(1).nullable(),
  height: z.number().int().min(1).nullable(),
});
export type Attachment = z.infer<typeof attachmentSchema>;

/** What a reply shows of the message it quotes (as it is now: edited text, or deleted). */
export const replyPreviewSchema = z.object({
  id: id(),
  senderId: id(),
  /** The start of the quoted message's text (at most 200 characters); "" when deleted or text-less. */
  excerpt: z.string().max(400),
  /** How many attachments the quoted message has (0 when deleted). */
  attachmentCount: z.number().int().min(0),
  deleted: z.boolean(),
});
export type ReplyPreview = z.infer<typeof replyPreviewSchema>;

/** One emoji's reactions on a message: who (user ids, in reaction order) and how many. */
export const reactionSummarySchema = z.object({
  emoji: z.string().min(1).max(64),
  count: z.number().int().min(1),
  userIds: userIds(),
});
export type ReactionSummary = z.infer<typeof reactionSummarySchema>;

/** A stored chat message as every API and event carries it. */
export const chatMessageSchema = z
  .object({
    id: id(),
    conversationId: id(),
    /** Position within the conversation: strictly increasing in commit order. */
    seq: z.number().int().min(1),
    /** In a group: the member who sent it; for a system message, who acted. */
    senderId: id(),
    /** The other participant of a direct conversation; null in a group. */
    recipientId: id().nullable(),
    /** A web app from before groups sends no `kind` (nor `system`): a text message. */
    kind: z.enum(["text", "system"]).default("text"),
    /** "" for a system message. */
    content: z.string(),
    /** The sender's dedupe key: only its presence is checked. */
    clientId: z.string().min(1).max(200),
    createdAt: z.iso.datetime({ offset: true }),
    /** What a system message records (null for a text message). */
    system: systemEventSchema.nullable().default(null),
    // The fields below are absent from web apps that predate them; absent means none / never.
    /** Position of the change that created this message in its conversation's change stream (see `changeSchema`). */
    pos: z.number().int().min(1).optional(),
    /** Files, in the order the sender attached them. Empty once deleted. */
    attachments: z.array(attachmentSchema).max(MAX_ATTACHMENTS_PER_MESSAGE).optional(),
    /** The earlier message of the same conversation this one replies to. */
    replyTo: replyPreviewSchema.nullable().optional(),
    /** When the text was last edited. */
    editedAt: z.iso.datetime({ offset: true }).nullable().optional(),
    /** When the sender deleted it: a tombstone (content "", no attachments, no reactions). */
    deletedAt: z.iso.datetime({ offset: true }).nullable().optional(),
    /** Reactions by emoji, in the order each emoji was first used. */
    reactions: z.array(reactionSummarySchema).max(100).optional(),
  })
  .refine(
    (message) => message.kind === "system" || message.content.length > 0 || !!message.deletedAt || (message.attachments?.length ?? 0) > 0,
    {
      path: ["content"],
      message: "a text message has content or attachments (or is deleted)",
      // Also when other fields failed: every issue is reported at once.
      when: (payload) => typeof (payload.value as { content?: unknown } | undefined)?.content === "string",
    },
  );
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** A participant's read position in a conversation (one per member, not per message). */
export const readStateSchema = z.object({
  conversationId: id(),
  /** Who read. */
  userId: id(),
  /** The other participant of a direct conversation; null in a group. */
  peerId: id().nullable(),
  /** Every message with seq ≤ this has been read by `userId`. */
  lastReadSeq: z.number().int().min(0),
});
export type ReadState = z.infer<typeof readStateSchema>;

/** A signed-out session (`sessionId` null: every session of the user). */
export const sessionRevokedSchema = z.object({
  userId: id(),
  sessionId: z.string().min(1).max(200).nullable(),
});
export type SessionRevoked = z.infer<typeof sessionRevokedSchema>;

/** A group's name or members changed (`removedIds`: who was removed or left with this change). */
export const conversationUpdateSchema = z.object({
  conversationId: id(),
  name: z.string().max(400).nullable(),
  /** The members after the change. */
  memberIds: userIds(),
  removedIds: userIds(),
});
export type ConversationUpdate = z.infer<typeof conversationUpdateSchema>;

/**
 * One entry of a conversation's change stream. Every change to a conversation's messages takes
 * the next `pos` under the same lock as a message's `seq`, so a client that has applied every
 * change up to P and fetches `GET /api/chat/changes?after=P` gets each later change once, in order.
 * `message` is the message as it is now (after this and any later change: a deleted message's
 * content is gone from every change), so applying changes in order always ends at the server's state.
 */
export const changeSchema = z.object({
  conversationId: id(),
  pos: z.number().int().min(1),
  type: z.enum(["message.created", "message.edited", "message.deleted", "reaction.added", "reaction.removed"]),
  /** Who made the change (the sender, the editor, the reacting user). */
  actorId: id(),
  /** reaction.added / reaction.removed: the emoji; else null. */
  emoji: z.string().min(1).max(64).nullable(),
  at: z.iso.datetime({ offset: true }),
  message: chatMessageSchema,
});
export type Change = z.infer<typeof changeSchema>;

// ─── Pushes: signed webhooks from the web app to the socket server ──────────────────────────

/** Where the web app posts pushes on the socket server. */
export const PUSH_PATH = "/webhooks/messages";
/** Largest single push body; a message plus its envelope is far smaller. */
export const MAX_PUSH_BYTES = 64 * 1024;
/** Largest batch body. */
export const MAX_BATCH_BYTES = 1024 * 1024;
/** Most items in one batch body. */
export const MAX_BATCH_ITEMS = 500;

/** `to`: a group's pushes name every member at the commit; without it a direct one goes to its two participants. */
export const messagePushSchema = z.object({ type: z.literal("message.created"), data: chatMessageSchema, to: userIds().optional() });
export const readUpdatedPushSchema = z.object({ type: z.literal("read.updated"), data: readStateSchema, to: userIds().optional() });
export const sessionRevokedPushSchema = z.object({ type: z.literal("session.revoked"), data: sessionRevokedSchema });
/** `to`: the members and the removed; each gets `conversation:updated`. */
export const conversationUpdatedPushSchema = z.object({
  type: z.literal("conversation.updated"),
  data: conversationUpdateSchema,
  to: userIds(),
});
/** An edit, deletion or reaction (a new message stays `message.created`); `to` as for a message. */
export const messageChangedPushSchema = z.object({ type: z.literal("message.changed"), data: changeSchema, to: userIds().optional() });
export type MessagePush = z.infer<typeof messagePushSchema>;
export type MessageChangedPush = z.infer<typeof messageChangedPushSchema>;
export type ReadUpdatedPush = z.infer<typeof readUpdatedPushSchema>;
export type SessionRevokedPush = z.infer<typeof sessionRevokedPushSchema>;
export type ConversationUpdatedPush = z.infer<typeof conversationUpdatedPushSchema>;

/** One push, as a single body (deduped by its `webhook-id`) or a batch item. A new kind goes here, in batchItemSchema and in pushBodySchema (test/contract.test.ts checks). */
export const pushSchema = z.discriminatedUnion("type", [
  messagePushSchema,
  sessionRevokedPushSchema,
  readUpdatedPushSchema,
  conversationUpdatedPushSchema,
  messageChangedPushSchema,
]);
export type Push = z.infer<typeof pushSchema>;

/** A push's dedupe key: the `webhook-id` a single push of it would carry (e.g. `msg_<message id>`). */
export const pushIdSchema = z.string().min(1).max(200);
/** One push of a batch: `id` is its dedupe key. Every kind of `pushSchema` is one here too. */
export const batchItemSchema = z.discriminatedUnion("type", [
  messagePushSchema.extend({ id: pushIdSchema }),
  sessionRevokedPushSchema.extend({ id: pushIdSchema }),
  readUpdatedPushSchema.extend({ id: pushIdSchema }),
  conversationUpdatedPushSchema.extend({ id: pushIdSchema }),
  messageChangedPushSchema.extend({ id: pushIdSchema }),
]);
export type BatchItem = z.infer<typeof batchItemSchema>;

/**
 * Several pushes in one signed request (at most 500 items, 1 MiB). The batch's own `webhook-id`
 * only signs it; each item is deduped by its `id`. Answered 202 `{ data: { delivered, duplicates } }`.
 */
export const batchPushSchema = z.object({
  type: z.literal("batch"),
  data: z.array(batchItemSchema).min(1).max(MAX_BATCH_ITEMS),
});
export type BatchPush = z.infer<typeof batchPushSchema>;

/** Any body `POST /webhooks/messages` accepts. */
export const pushBodySchema = z.discriminatedUnion("type", [
  messagePushSchema,
  sessionRevokedPushSchema,
  readUpdatedPushSchema,
  conversationUpdatedPushSchema,
  messageChangedPushSchema,
  batchPushSchema,
]);
export type PushBody = z.infer<typeof pushBodySchema>;

// ─── Socket.IO: event maps and payloads ─────────────────────────────────────────────────────

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
  /** Set when `from` is typing in this group; absent when typing to you directly. */
  conversationId?: string;
}

/** Most users one `presence:subscribe` may name. */
export const MAX_PRESENCE_SUBSCRIPTIONS = 200;
/** `presence:subscribe`'s list (the server answers [] to anything else). */
export const presenceSubscribeSchema = z.array(id()).max(MAX_PRESENCE_SUBSCRIPTIONS);

/**
 * `typing:start` / `typing:stop`: whom you are typing to, `{ to }` (a direct conversation's peer)
 * or `{ conversationId }` (a group you are a member of). Anything else is dropped.
 */
export const typingSchema = z.union([z.strictObject({ to: id() }), z.strictObject({ conversationId: id() })]);
export type TypingTarget = z.infer<typeof typingSchema>;

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

/**
 * A client→server event was dropped: it named someone the user shares no conversation with
 * (`not_a_peer`), or a group the socket is not a member of (`not_a_member`).
 */
export interface ForbiddenPayload {
  event: string;
  reason: "not_a_peer" | "not_a_member";
}

/** A client→server event was dropped: this user sent too many (all their sockets together). Retry after `retryAfterMs`. */
export interface RateLimitedPayload {
  event: string;
  retryAfterMs: number;
}

export interface ServerToClientEvents {
  "message:new": (message: ChatMessage) => void;
  /** A message was edited or deleted, or a reaction added or removed (`change.pos` orders it; a gap means: catch up). */
  "message:changed": (change: Change) => void;
  /** A read position moved: to the reader (other tabs: unread counts) and the peer ("Seen"). */
  "read:updated": (state: ReadState) => void;
  /** A group you are (or were, until this change) a member of was renamed or its members changed. */
  "conversation:updated": (update: ConversationUpdate) => void;
  /** A user you subscribed to went online or offline. */
  "presence:update": (state: PresenceState) => void;
  /** A peer started or stopped typing to you, or a member in a group of yours (`conversationId`). Ephemeral: never stored. */
  "typing:update": (payload: TypingPayload) => void;
  "auth:error": (error: AuthErrorPayload) => void;
  "server:shutdown": (payload: ServerShutdownPayload) => void;
  "error:rate_limited": (payload: RateLimitedPayload) => void;
  /** A `typing:start`/`typing:stop` to someone who is not a peer, or in a group you are not in, was dropped. */
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
   * Tell `to` (or a group's members, `{ conversationId }`) that you are typing (throttle on the
   * client: about one per 2 s while typing). Relayed only to a peer, or in a group this socket is
   * a member of (to its members' sockets but your own); otherwise dropped with `error:forbidden`.
   */
  "typing:start": (payload: TypingTarget) => void;
  "typing:stop": (payload: TypingTarget) => void;
}

// ─── The web app's HTTP API ─────────────────────────────────────────────────────────────────

export interface AuthUser {
  id: string;
  email: string;
}

export interface UserProfile {
  id: string;
  email: string;
  displayName: string | null;
}

export type ConversationKind = "direct" | "group";
export type MemberRole = "owner" | "member";

export interface ConversationSummary {
  id: string;
  kind: ConversationKind;
  /** A group's name; null for a direct conversation. */
  name: string | null;
  /** The other participant of a direct conversation; null for a group. */
  peer: UserProfile | null;
  /** How many members, and the first few (at most 5, by joined_at; me included). */
  members: { count: number; preview: UserProfile[] };
  /** My role (always "member" in a direct conversation). */
  role: MemberRole;
  lastMessage: ChatMessage;
  lastMessageAt: string;
  /** Messages from others (system messages included) after my read position. */
  unreadCount: number;
  /** My read position (seq). */
  lastReadSeq: number;
  /** The peer's read position: my messages with seq ≤ this are "Seen". 0 for a group. */
  peerLastReadSeq: number;
  /** Every other member's read position ("Seen by N"). */
  readStates: { userId: string; lastReadSeq: number }[];
  /** The conversation's newest change-stream position (absent from web apps before the change stream). */
  lastPos?: number;
}

export interface ConversationMember {
  user: UserProfile;
  role: MemberRole;
  joinedAt: string;
}

/** One conversation with its full member list (`GET /api/chat/conversations/ID`, the group mutations). */
export interface ConversationDetail extends ConversationSummary {
  memberList: ConversationMember[];
}

/** `GET /api/chat/changes`: the changes after `after`, in order. */
export interface ChangesPage {
  changes: Change[];
  /** Pass as `after` for the next page; null when this page reached the end. */
  nextAfter: number | null;
  /** The conversation's newest position when read. */
  lastPos: number;
}

/** One hit of `GET /api/chat/search`. */
export interface SearchResult {
  message: ChatMessage;
  /** The matching text with each match between the markers U+E000 and U+E001 (render as <mark>, never as HTML). */
  highlight: string;
  rank: number;
}

export interface SearchPage {
  results: SearchResult[];
  /** Opaque cursor for the next page; null at the end. */
  next: string | null;
}

/** `POST /api/chat/attachments`: the new (pending) attachment and where to put its bytes. */
export interface UploadTarget {
  attachment: Attachment & { status: "pending" | "ready" };
  /** PUT the raw bytes there with these headers (a same-origin route, or a signed storage URL), then `POST /api/chat/attachments/ID/complete`. */
  upload: { method: "PUT"; url: string; headers: Record<string, string> };
  /** When the upload target stops accepting bytes (ISO). */
  expiresAt: string;
}

export interface HistoryPage {
  messages: ChatMessage[];
  nextBefore: string | null;
}

export interface SessionInfo {
  user: AuthUser;
  accessToken: string;
  expiresAt: string;
  /** For the socket handshake (`auth.peersTicket`): who the user shares a conversation with, and their groups, signed. */
  peersTicket: string;
}

/** Every JSON response: `{ data }` on success, `{ error }` otherwise. */
export type ApiResponse<T> = { data: T; error?: never } | { data?: never; error: { code: string; message: string; details?: unknown } };
