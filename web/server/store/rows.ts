import type {
  Attachment,
  Change,
  ChatMessage,
  ConversationDetail,
  ConversationMember,
  ConversationSummary,
  MemberRole,
  ReactionSummary,
  ReadState,
  ReplyPreview,
  SystemEvent,
  UserProfile,
} from "@/lib/types";
import type { FunctionRow } from "./rpc";
import type { StoredAttachment } from "./types";

// Rows as the schema's functions return them (typed from the generated database types), mapped
// to the API's shapes. Drivers differ: int8 may come as a string, timestamps as Date.
// IMPORTANT: the generator types every column of a function's result as non-null; the columns
// that can be null (a group's recipient, a direct conversation's name…) are read as nullable here.

type MessageColumns = Pick<
  FunctionRow<"send_message">,
  | "id"
  | "conversation_id"
  | "seq"
  | "sender_id"
  | "recipient_id"
  | "content"
  | "client_id"
  | "created_at"
  | "kind"
  | "system_event"
  | "system_user_ids"
  | "system_name"
  | "pos"
  | "edited_at"
  | "deleted_at"
  | "reply_to"
  | "reactions"
  | "attachments"
>;
export type MessageRow = MessageColumns;
/**
 * A row of the `message_details` view (get_messages, edit_message…). IMPORTANT: the generator
 * types every column of a view as nullable; a message's own columns never are.
 */
export type MessageDetailsRow = FunctionRow<"get_messages">;
export type ChangesRow = FunctionRow<"get_changes">;
export type ProfileRow = Pick<FunctionRow<"get_profile">, "id" | "email" | "display_name">;
export type ConversationRow = FunctionRow<"list_conversations">;
export type ConversationDetailRow = FunctionRow<"get_conversation">;
export type ReadRow = FunctionRow<"mark_read">;
export type AttachmentRow = FunctionRow<"get_attachment">;

const toIso = (value: Date | string) => new Date(value).toISOString();
const nullable = <T>(value: T): T | null => value ?? null;
/** jsonb arrives parsed from `pg` and PGlite, and as JSON from PostgREST; a string only from odd drivers. */
const fromJson = <T>(value: unknown): T => (typeof value === "string" ? JSON.parse(value) : value) as T;

export function toMessage(row: MessageRow): ChatMessage {
  const event = nullable(row.system_event) as SystemEvent["event"] | null;
  const editedAt = nullable(row.edited_at);
  const deletedAt = nullable(row.deleted_at);
  const replyTo = nullable(row.reply_to);
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: Number(row.seq),
    senderId: row.sender_id,
    recipientId: nullable(row.recipient_id),
    kind: row.kind === "system" ? "system" : "text",
    content: row.content,
    clientId: row.client_id,
    createdAt: toIso(row.created_at),
    system: event
      ? { event, actorId: row.sender_id, userIds: [...(nullable(row.system_user_ids) ?? [])], name: nullable(row.system_name) }
      : null,
    pos: Number(row.pos),
    attachments: (fromJson<Attachment[] | null>(row.attachments) ?? []).map(toAttachment),
    replyTo: replyTo ? fromJson<ReplyPreview>(replyTo) : null,
    editedAt: editedAt ? toIso(editedAt) : null,
    deletedAt: deletedAt ? toIso(deletedAt) : null,
    reactions: fromJson<ReactionSummary[] | null>(row.reactions) ?? [],
  };
}

const toAttachment = (value: Attachment): Attachment => ({
  id: value.id,
  name: value.name,
  contentType: value.contentType,
  size: Number(value.size),
  kind: value.kind === "image" ? "image" : "file",
  width: value.width == null ? null : Number(value.width),
  height: value.height == null ? null : Number(value.height),
});

export function toStoredAttachment(row: AttachmentRow): StoredAttachment {
  return {
    ...toAttachment({
      id: row.id,
      name: row.name,
      contentType: row.content_type,
      size: Number(row.size),
      kind: row.kind as Attachment["kind"],
      width: nullable(row.width),
      height: nullable(row.height),
    }),
    conversationId: row.conversation_id,
    uploaderId: row.uploader_id,
    messageId: nullable(row.message_id),
    storageKey: row.storage_key,
    status: row.status === "ready" ? "ready" : "pending",
    createdAt: toIso(row.created_at),
  };
}

export const toMessageDetails = (row: MessageDetailsRow): ChatMessage => toMessage(row as MessageRow);

/** One page of the change stream: the changes are built by the SQL in the wire shape already. */
export const toChanges = (row: ChangesRow): { changes: Change[]; lastPos: number } => ({
  changes: fromJson<Change[]>(row.changes),
  lastPos: Number(row.last_pos),
});

export const toProfile = (row: ProfileRow): UserProfile => ({ id: row.id, email: row.email, displayName: nullable(row.display_name) });

const toRole = (value: string): MemberRole => (value === "owner" ? "owner" : "member");

export function toConversation(row: ConversationRow): ConversationSummary {
  const peerId = nullable(row.peer_id);
  return {
    id: row.conversation_id,
    kind: row.kind === "group" ? "group" : "direct",
    name: nullable(row.name),
    peer: peerId ? { id: peerId, email: row.peer_email, displayName: nullable(row.peer_display_name) } : null,
    members: {
      count: Number(row.member_count),
      preview: fromJson<UserProfile[]>(row.member_preview).map((profile) => ({ ...profile, displayName: profile.displayName ?? null })),
    },
    role: toRole(row.role),
    lastMessage: toMessage({ ...row, id: row.message_id, kind: row.message_kind }),
    lastPos: Number(row.last_pos),
    lastMessageAt: toIso(row.last_message_at),
    unreadCount: Number(row.unread_count),
    lastReadSeq: Number(row.last_read_seq),
    peerLastReadSeq: Number(row.peer_last_read_seq),
    readStates: fromJson<{ userId: string; lastReadSeq: number | string }[]>(row.read_states).map((state) => ({
      userId: state.userId,
      lastReadSeq: Number(state.lastReadSeq),
    })),
  };
}

export function toConversationDetail(row: ConversationDetailRow): ConversationDetail {
  const memberList = fromJson<{ user: UserProfile; role: string; joinedAt: string }[]>(row.member_list).map(
    (member): ConversationMember => ({
      user: { id: member.user.id, email: member.user.email, displayName: member.user.displayName ?? null },
      role: toRole(member.role),
      joinedAt: toIso(member.joinedAt),
    }),
  );
  return { ...toConversation(row), memberList };
}

export const toReadState = (row: ReadRow): ReadState => ({
  conversationId: row.conversation_id,
  userId: row.user_id,
  peerId: nullable(row.peer_id),
  lastReadSeq: Number(row.last_read_seq),
});
