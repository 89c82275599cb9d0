/**
 * The wire shapes the client core needs for group conversations (issue 14), as the shared brief
 * declares them. IMPORTANT: a stand-in until the shared contract (`socket-server/contract`)
 * carries them: then this file only re-exports from there. Additive to the 1:1 shapes: today's
 * fields keep their meaning.
 */
import type { ClientToServerEvents, ServerToClientEvents } from "socket-server/contract";
import type { UserProfile } from "@/lib/types";

export type { UserProfile };

export type ConversationKind = "direct" | "group";
export type MemberRole = "owner" | "member";
export type SystemEventName = "group_created" | "member_added" | "member_removed" | "member_left" | "renamed" | "owner_changed";

/** A membership event in a group's timeline: sent by `actorId`, about `userIds` (or the new `name`). */
export interface SystemEvent {
  event: SystemEventName;
  actorId: string;
  userIds: string[];
  name: string | null;
}

/** A stored message: text, or (groups) a system message with its own `seq`. */
export interface ChatMessage {
  id: string;
  conversationId: string;
  /** Position within the conversation: strictly increasing in commit order. */
  seq: number;
  /** For a system message: the actor. */
  senderId: string;
  /** The other participant of a direct conversation; null in a group. */
  recipientId: string | null;
  kind: "text" | "system";
  /** "" for a system message. */
  content: string;
  clientId: string;
  createdAt: string;
  system: SystemEvent | null;
}

/** A member's read position (one per member, not per message). */
export interface ReadState {
  conversationId: string;
  userId: string;
  /** The other participant of a direct conversation; null in a group. */
  peerId: string | null;
  lastReadSeq: number;
}

export interface ConversationSummary {
  id: string;
  kind: ConversationKind;
  /** A group's name; null for a direct conversation. */
  name: string | null;
  /** The other participant (direct only). */
  peer: UserProfile | null;
  members: { count: number; preview: UserProfile[] };
  role: MemberRole;
  lastMessage: ChatMessage;
  lastMessageAt: string;
  /** Messages from others after my read position. */
  unreadCount: number;
  /** My read position (seq). */
  lastReadSeq: number;
  /** Direct: the peer's read position; 0 for groups. */
  peerLastReadSeq: number;
  /** Every member's read position but mine. */
  readStates: { userId: string; lastReadSeq: number }[];
}

export interface ConversationMember {
  user: UserProfile;
  role: MemberRole;
  joinedAt: string;
}

/** GET /api/chat/conversations/ID and the membership mutations' answer: the summary and every member. */
export interface ConversationDetail extends ConversationSummary {
  memberList: ConversationMember[];
}

/** `conversation:updated`: a group was renamed or its members changed. To members ∪ removed. */
export interface ConversationUpdate {
  conversationId: string;
  name: string | null;
  memberIds: string[];
  removedIds: string[];
}

export interface TypingPayload {
  from: string;
  typing: boolean;
  /** Set for typing in a group. */
  conversationId?: string;
}

/** Whom `typing:start`/`typing:stop` address: a peer (direct) or a group. */
export type TypingTarget = { to: string } | { conversationId: string };

export interface HistoryPage {
  messages: ChatMessage[];
  nextBefore: string | null;
}

/** The socket events as the client sees them once groups exist. */
export type ChatServerToClientEvents = Omit<ServerToClientEvents, "message:new" | "read:updated" | "typing:update"> & {
  "message:new": (message: ChatMessage) => void;
  "read:updated": (state: ReadState) => void;
  "typing:update": (payload: TypingPayload) => void;
  "conversation:updated": (update: ConversationUpdate) => void;
};
export type ChatClientToServerEvents = Omit<ClientToServerEvents, "typing:start" | "typing:stop"> & {
  "typing:start": (payload: TypingTarget) => void;
  "typing:stop": (payload: TypingTarget) => void;
};
