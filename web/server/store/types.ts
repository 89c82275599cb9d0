import type {
  Attachment,
  ChangesPage,
  ChatMessage,
  ConversationDetail,
  ConversationSummary,
  ReadState,
  SearchResult,
  UserProfile,
} from "@/lib/types";
import type { SearchCursor } from "@/lib/validations/search";

/** Where a message goes, or which conversation a request is about: a person (direct) or a conversation id. Exactly one. */
export type ConversationTarget = { peerId: string; conversationId?: undefined } | { conversationId: string; peerId?: undefined };

export interface NewMessage {
  /** Direct: the other person (the conversation is found or made). */
  recipientId?: string;
  /** Any conversation the sender is a member of (a group, or a direct one by its id). */
  conversationId?: string;
  content: string;
  clientId: string;
  /** An earlier message of the same conversation this one replies to (else 422 invalid_reply). */
  replyToId?: string;
  /** Own ready uploads of this conversation, in order (else 422 invalid_attachments). */
  attachmentIds?: string[];
}

export type HistoryRequest = ConversationTarget & {
  limit: number;
  before?: string;
  after?: string;
};

/** A page of messages as the database built it: the JSON text of the `ChatMessage[]`, oldest first. */
export interface MessagePage {
  json: string;
  count: number;
  /** The oldest message's id (the next `before` cursor); null for an empty page. */
  firstId: string | null;
}

export interface MessageSearch {
  query: string;
  /** One conversation of the user's (404 conversation_not_found otherwise); all of them when absent. */
  conversationId?: string;
  limit: number;
  /** The page after this result. */
  after?: SearchCursor;
}

export type ChangesRequest = ConversationTarget & {
  /** The last position the client applied (0: from the start). */
  after: number;
  limit: number;
};

export interface NewGroup {
  name: string;
  /** The other members (the creator is added as owner; repeats and the creator count once). */
  memberIds: string[];
}

/** An attachment as stored: the contract's fields plus where it is and who may use it. */
export interface StoredAttachment extends Attachment {
  conversationId: string;
  uploaderId: string;
  /** Null until a message carries it. */
  messageId: string | null;
  storageKey: string;
  status: "pending" | "ready";
  createdAt: string;
}

/** What the server found in an upload's bytes. */
export interface AttachmentFindings {
  contentType: string;
  size: number;
  kind: "image" | "file";
  width: number | null;
  height: number | null;
}

/**
 * Messages, conversations and profiles, always read and written as the signed-in user so that
 * the database's row level security applies. One adapter per backend.
 */
export interface ChatStore {
  /** Stores the message once per (sender, clientId); `created` is false for a repeat. */
  insertMessage(userId: string, input: NewMessage): Promise<{ message: ChatMessage; created: boolean }>;
  /** The user's own message with this clientId, if stored. */
  findSentMessage(userId: string, clientId: string): Promise<ChatMessage | null>;
  /**
   * `null` when the cursor is not a message of this conversation. A conversation id the user is
   * not a member of is 404 conversation_not_found.
   */
  listMessages(userId: string, request: HistoryRequest): Promise<MessagePage | null>;
  listConversations(userId: string, limit: number): Promise<ConversationSummary[]>;
  /** One conversation with every member; null for a stranger or former member. */
  getConversation(userId: string, conversationId: string): Promise<ConversationDetail | null>;
  /** 422 group_too_small / group_too_large / validation_failed, 404 user_not_found. */
  createGroup(userId: string, input: NewGroup): Promise<ConversationDetail>;
  /** Owners only (403 not_owner); 422 not_a_group. */
  renameGroup(userId: string, conversationId: string, name: string): Promise<ConversationDetail>;
  /** Owners only; present members are ignored; 422 group_too_large. */
  addMembers(userId: string, conversationId: string, userIds: string[]): Promise<ConversationDetail>;
  /** Owners remove anyone, anyone removes themselves (then `{ left: true }`); 404 member_not_found. */
  removeMember(userId: string, conversationId: string, memberId: string): Promise<ConversationDetail | { left: true }>;
  findProfile(userId: string, profileId: string): Promise<UserProfile | null>;
  /** Exact email for anyone, email prefix among people the user already shares a conversation with. */
  searchProfiles(userId: string, query: string, limit: number): Promise<UserProfile[]>;
  /** Moves the user's read position forward; null when there is no such conversation (or the user is no member). */
  markRead(userId: string, target: ConversationTarget, seq: number): Promise<ReadState | null>;
  /** The user's messages matching the query, best first; each with the cursor of the page after it. */
  searchMessages(userId: string, search: MessageSearch): Promise<{ result: SearchResult; cursor: SearchCursor }[]>;
  /** Sets the user's own display name (null clears it). */
  updateProfile(userId: string, displayName: string | null): Promise<UserProfile>;
  /**
   * A pending upload in a conversation of the user's (or the direct one with `peerId`, made if
   * needed). 413 attachment_too_large / quota_exceeded, 404 conversation_not_found / user_not_found.
   */
  createAttachment(userId: string, input: ConversationTarget & { name: string; size: number }): Promise<StoredAttachment>;
  /** The attachment if the user may read it (a member; an unsent one only its uploader); else null. */
  getAttachment(userId: string, attachmentId: string): Promise<StoredAttachment | null>;
  /** The user's own pending upload, now ready with the server's findings; null when there is none (a ready one comes back as is). */
  completeAttachment(userId: string, attachmentId: string, findings: AttachmentFindings): Promise<StoredAttachment | null>;
  /**
   * Edits the user's own text message (403 not_your_message, 404 message_not_found also for
   * non-members, 409 message_deleted, 422 edit_window_closed); the same text is a no-op.
   */
  editMessage(userId: string, messageId: string, content: string): Promise<ChatMessage>;
  /** Deletes the user's own message (a tombstone; again: a no-op). Same refusals as editing. */
  deleteMessage(userId: string, messageId: string): Promise<ChatMessage>;
  /** Adds or removes the user's reaction (idempotent); 409 message_deleted, 422 system_message / too_many_reactions. */
  setReaction(userId: string, messageId: string, emoji: string, on: boolean): Promise<ChatMessage>;
  /** A conversation's changes after a position, in order, with its newest position; 404 for non-members. */
  listChanges(userId: string, request: ChangesRequest): Promise<Omit<ChangesPage, "nextAfter">>;
}
