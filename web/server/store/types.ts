import type { ChatMessage, ConversationSummary, ReadState, UserProfile } from "@/lib/types";

export interface NewMessage {
  recipientId: string;
  content: string;
  clientId: string;
}

export interface HistoryRequest {
  peerId: string;
  limit: number;
  before?: string;
  after?: string;
}

/**
 * Messages and profiles, always read and written as the signed-in user so that the
 * database's row level security applies. One adapter per backend.
 */
export interface ChatStore {
  /** Stores the message once per (sender, clientId); `created` is false for a repeat. */
  insertMessage(userId: string, input: NewMessage): Promise<{ message: ChatMessage; created: boolean }>;
  /** The user's own message with this clientId, if stored. */
  findSentMessage(userId: string, clientId: string): Promise<ChatMessage | null>;
  /** `null` when the cursor is not a message of this conversation. */
  listMessages(userId: string, request: HistoryRequest): Promise<ChatMessage[] | null>;
  listConversations(userId: string, limit: number): Promise<ConversationSummary[]>;
  findProfile(userId: string, profileId: string): Promise<UserProfile | null>;
  /** Exact email for anyone, email prefix among people the user already has a conversation with. */
  searchProfiles(userId: string, query: string, limit: number): Promise<UserProfile[]>;
  /** Moves the user's read position forward; null when there is no such conversation. */
  markRead(userId: string, peerId: string, seq: number): Promise<ReadState | null>;
  /** Sets the user's own display name (null clears it). */
  updateProfile(userId: string, displayName: string | null): Promise<UserProfile>;
}
