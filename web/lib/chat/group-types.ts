/**
 * The wire shapes the client core uses, group conversations included: all from the one wire
 * contract (`socket-server/contract`), re-exported under the names the core has always used.
 */
import type { ClientToServerEvents, ServerToClientEvents, SystemEvent } from "socket-server/contract";

export type {
  ChatMessage,
  ConversationDetail,
  ConversationKind,
  ConversationMember,
  ConversationSummary,
  ConversationUpdate,
  HistoryPage,
  MemberRole,
  ReadState,
  SystemEvent,
  TypingPayload,
  TypingTarget,
  UserProfile,
} from "socket-server/contract";

export type SystemEventName = SystemEvent["event"];
export type ChatServerToClientEvents = ServerToClientEvents;
export type ChatClientToServerEvents = ClientToServerEvents;
