import type { ChatMessage, ReadState } from "socket-server/events";

export type { ChatMessage, ReadState };

export interface AuthUser {
  id: string;
  email: string;
}

export interface UserProfile {
  id: string;
  email: string;
  displayName: string | null;
}

export interface ConversationSummary {
  id: string;
  peer: UserProfile;
  lastMessage: ChatMessage;
  lastMessageAt: string;
  /** Messages from the peer after my read position. */
  unreadCount: number;
  /** My read position (seq). */
  lastReadSeq: number;
  /** The peer's read position: my messages with seq ≤ this are "Seen". */
  peerLastReadSeq: number;
}

export interface HistoryPage {
  messages: ChatMessage[];
  nextBefore: string | null;
}

export interface SessionInfo {
  user: AuthUser;
  accessToken: string;
  expiresAt: string;
  /** For the socket handshake (`auth.peersTicket`): who the user shares a conversation with, signed. */
  peersTicket: string;
}

/** Every JSON response: `{ data }` on success, `{ error }` otherwise. */
export type ApiResponse<T> = { data: T; error?: never } | { data?: never; error: { code: string; message: string; details?: unknown } };
