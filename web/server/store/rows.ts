import type { ChatMessage, ConversationSummary, ReadState, UserProfile } from "@/lib/types";
import type { FunctionRow } from "./rpc";

// Rows as the schema's functions return them (typed from the generated database types), mapped
// to the API's shapes. Drivers differ: int8 may come as a string, timestamps as Date.

export type MessageRow = FunctionRow<"get_messages">;
export type ProfileRow = Pick<FunctionRow<"get_profile">, "id" | "email" | "display_name">;
export type ConversationRow = FunctionRow<"list_conversations">;
export type ReadRow = FunctionRow<"mark_read">;

const toIso = (value: Date | string) => new Date(value).toISOString();

export function toMessage(row: MessageRow): ChatMessage {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: Number(row.seq),
    senderId: row.sender_id,
    recipientId: row.recipient_id,
    content: row.content,
    clientId: row.client_id,
    createdAt: toIso(row.created_at),
  };
}

export const toProfile = (row: ProfileRow): UserProfile => ({ id: row.id, email: row.email, displayName: row.display_name });

export function toConversation(row: ConversationRow): ConversationSummary {
  return {
    id: row.conversation_id,
    peer: { id: row.peer_id, email: row.peer_email, displayName: row.peer_display_name },
    lastMessage: toMessage({ ...row, id: row.message_id }),
    lastMessageAt: toIso(row.last_message_at),
    unreadCount: Number(row.unread_count),
    lastReadSeq: Number(row.last_read_seq),
    peerLastReadSeq: Number(row.peer_last_read_seq),
  };
}

export const toReadState = (row: ReadRow): ReadState => ({
  conversationId: row.conversation_id,
  userId: row.user_id,
  peerId: row.peer_id,
  lastReadSeq: Number(row.last_read_seq),
});
