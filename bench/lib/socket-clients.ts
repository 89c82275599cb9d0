import { io, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";
import type { ChatMessage, ClientToServerEvents, ServerToClientEvents } from "../../socket-server/src/contract/index.js";

export type ChatClient = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface ConnectClientsOptions {
  url: string;
  count: number;
  /** Handshakes in flight at once. */
  concurrency?: number;
  /** Per-client options: `auth: { token }` for the real server, `query: { userId }` for the bare one. */
  clientOptions(index: number): Partial<ManagerOptions & SocketOptions>;
  onMessage?(index: number, message: ChatMessage): void;
  timeoutMs?: number;
}

export interface ClientPool {
  sockets: ChatClient[];
  failed: number;
  connectSeconds: number;
  /** Sockets that disconnected after connecting (should stay 0). */
  disconnects(): number;
  close(): void;
}

/** Opens `count` Socket.IO clients over the WebSocket transport, without auto-reconnect. */
export async function connectClients({
  url,
  count,
  concurrency = 100,
  clientOptions,
  onMessage,
  timeoutMs = 20_000,
}: ConnectClientsOptions): Promise<ClientPool> {
  const sockets: ChatClient[] = new Array(count);
  let failed = 0;
  let disconnects = 0;
  let next = 0;
  const firstErrors: string[] = [];
  const started = process.hrtime.bigint();

  const connectOne = (index: number) =>
    new Promise<void>((resolve) => {
      const socket: ChatClient = io(url, {
        transports: ["websocket"],
        reconnection: false,
        forceNew: true,
        timeout: timeoutMs,
        ...clientOptions(index),
      });
      sockets[index] = socket;
      if (onMessage) socket.on("message:new", (message) => onMessage(index, message));
      socket.once("connect", () => {
        socket.on("disconnect", () => disconnects++);
        resolve();
      });
      socket.once("connect_error", (error) => {
        failed++;
        if (firstErrors.length < 3) firstErrors.push(error.message);
        resolve();
      });
    });

  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await connectOne(next++);
    }),
  );
  if (failed > 0) console.warn(`  ${failed} of ${count} sockets failed to connect (${firstErrors.join("; ")})`);
  return {
    sockets,
    failed,
    connectSeconds: Number(process.hrtime.bigint() - started) / 1e9,
    disconnects: () => disconnects,
    close() {
      for (const socket of sockets) socket?.close();
    },
  };
}
