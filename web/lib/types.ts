// The wire contract lives in the socket server's package (socket-server/contract), which both
// apps import; this is only a shorter path to its types. Declare nothing here.
export type {
  ApiResponse,
  AuthUser,
  ChatMessage,
  ConversationDetail,
  ConversationKind,
  ConversationMember,
  ConversationSummary,
  ConversationUpdate,
  HistoryPage,
  MemberRole,
  ReadState,
  SessionInfo,
  SystemEvent,
  TypingPayload,
  TypingTarget,
  UserProfile,
} from "socket-server/contract";
