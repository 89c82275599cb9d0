import type { Server, Socket } from "socket.io";
import type { ClientToServerEvents, ServerToClientEvents } from "./contract/index.js";

/** What the server keeps on each socket (never sent to clients). */
export interface SocketData {
  userId: string;
  email: string;
  /** The auth session the token belongs to (`session_id` claim); logout disconnects its sockets. */
  sessionId: string | null;
  /** When the socket's access token expires (epoch ms); the server disconnects it then. */
  expiresAt: number;
  /** Who the user shares a conversation with, from the peers ticket (and learned since). */
  peers: Set<string>;
}

type InterServerEvents = Record<string, never>;
export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
