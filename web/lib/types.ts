// The wire contract lives in the socket server's package (socket-server/contract), which both
// apps import; this is only a shorter path to its types. Declare nothing here.
export type {
  ApiResponse,
  AuthUser,
  ChatMessage,
  ConversationSummary,
  HistoryPage,
  ReadState,
  SessionInfo,
  UserProfile,
} from "socket-server/contract";
