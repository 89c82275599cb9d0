import type { ChatMessage, ConversationSummary, ReadState, UserProfile } from "@/lib/types";

// Rows as the schema's functions return them. Drivers differ in types: pg returns int8 as a
// string, PGlite as a number, PostgREST as JSON; timestamps come as Date or ISO strings.

export interface MessageRow {
  id: string;
  conversation_id: string;
  seq: number | string;
  sender_id: string;
  recipient_id: string;
  content: string;
  client_id: string;
  created_at: Date | string;
}

export interface ProfileRow {
  id: string;
  email: string;
  display_name: string | null;
}

export interface ConversationRow extends Omit<MessageRow, "id"> {
  last_message_at: Date | string;
  peer_id: string;
  peer_email: string;
  peer_display_name: string | null;
  message_id: string;
  last_read_seq: number | string;
  peer_last_read_seq: number | string;
  unread_count: number | string;
}

export interface ReadRow {
  conversation_id: string;
  user_id: string;
  peer_id: string;
  last_read_seq: number | string;
}

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
