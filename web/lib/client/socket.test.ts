import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
// The socket server's own dependency: a real Socket.IO server in this process.
import { Server, type Socket as ServerSocket } from "socket.io";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ClientToServerEvents, ServerToClientEvents } from "socket-server/contract";
import { connectChatSocket, type ChatConnection, type ChatConnectionHandlers, type ConnectionState, type SessionEndReason } from "./socket";
import type { TokenSource } from "./session";
import type { Change, ChatMessage } from "@/lib/types";
import { buildChatMessage } from "@/lib/chat/test-support";

type TestServer = Server<ClientToServerEvents, ServerToClientEvents>;

let io: TestServer;
let url: string;
let connection: ChatConnection | undefined;
const handshakes: { token: unknown; peersTicket: unknown; at: number }[] = [];

beforeEach(async () => {
  handshakes.length = 0;
  const http = createServer();
  io = new Server(http, { transports: ["websocket"] });
  io.use((socket, next) => {
    handshakes.push({ token: socket.handshake.auth.token, peersTicket: socket.handshake.auth.peersTicket, at: Date.now() });
    next();
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterEach(async () => {
  connection?.close();
  connection = undefined;
  await io.close();
});

function buildTokens(): TokenSource & { invalidate: ReturnType<typeof vi.fn> } {
  let issued = 0;
  let current: string | null = null;
  return {
    getToken: async () => (current ??= `token-${++issued}`),
    invalidate: vi.fn(() => {
      current = null;
    }),
    dispose: () => {},
  };
}

function connect(tokens = buildTokens(), extra: Partial<ChatConnectionHandlers> = {}) {
  const states: ConnectionState[] = [];
  const ended: SessionEndReason[] = [];
  let connects = 0;
  connection = connectChatSocket(url, tokens, {
    onState: (state) => states.push(state),
    onConnect: () => {
      connects += 1;
    },
    onMessage: () => {},
    onSessionEnded: (reason) => ended.push(reason),
    ...extra,
  });
  return { tokens, states, ended, connects: () => connects };
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const serverSocket = async (): Promise<ServerSocket<ClientToServerEvents, ServerToClientEvents>> => {
  const sockets = await io.fetchSockets();
  return sockets[0] as unknown as ServerSocket<ClientToServerEvents, ServerToClientEvents>;
};

describe("connectChatSocket", () => {
  it("when the token source holds a peers ticket, then the handshake carries it next to the token", async () => {
    const tokens = { ...buildTokens(), peersTicket: () => "ticket-1" };
    const client = connect(tokens);
    await waitFor(() => client.connects() === 1);

    expect(handshakes.map(({ token, peersTicket }) => ({ token, peersTicket }))).toEqual([{ token: "token-1", peersTicket: "ticket-1" }]);
  });

  it("when the server says it shuts down and hangs up, then the client reconnects after the delay it asked for", async () => {
    const client = connect();
    await waitFor(() => client.connects() === 1);
    const socket = await serverSocket();
    const hungUpAt = Date.now();
    socket.emit("server:shutdown", { reconnectInMs: 400 });
    socket.disconnect(true);
    await waitFor(() => client.connects() === 2);
    expect(handshakes.at(-1)!.at - hungUpAt).toBeGreaterThanOrEqual(390);
    expect(client.states).toContain("reconnecting");
    expect(client.states.at(-1)).toBe("connected");
  });

  it("when the token expires on a live socket, then the client reconnects with a fresh token", async () => {
    const client = connect();
    await waitFor(() => client.connects() === 1);
    const socket = await serverSocket();
    socket.emit("auth:error", { code: "token_expired" });
    socket.disconnect(true);
    await waitFor(() => client.connects() === 2);
    expect(client.tokens.invalidate).toHaveBeenCalled();
    expect(handshakes.map((handshake) => handshake.token)).toEqual(["token-1", "token-2"]);
  });

  it("when the server signs the session out, then the client stops for good and says why", async () => {
    const client = connect();
    await waitFor(() => client.connects() === 1);
    const socket = await serverSocket();
    socket.emit("auth:error", { code: "signed_out" });
    socket.disconnect(true);
    await waitFor(() => client.ended.length === 1);
    expect(client.ended).toEqual(["signed_out"]);
    expect(client.states.at(-1)).toBe("signed-out");
    connection!.reconnectNow();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(handshakes).toHaveLength(1);
  });

  it("when the network comes back, then reconnectNow connects at once", async () => {
    const client = connect();
    await waitFor(() => client.connects() === 1);
    connection!.socket.disconnect(); // as if the connection had been lost and given up on
    connection!.reconnectNow();
    await waitFor(() => client.connects() === 2, 1_000);
  });

  it("when presence is subscribed, then the server's answer comes back; typing goes out only while connected", async () => {
    const client = connect();
    await waitFor(() => client.connects() === 1);
    const socket = await serverSocket();
    const typing: [string, string][] = [];
    socket.on("presence:subscribe", (ids, ack) => ack(ids.map((userId) => ({ userId, online: true, lastSeenAt: null }))));
    socket.on("typing:start", (target) => typing.push(["start", "to" in target ? target.to : target.conversationId]));
    socket.on("typing:stop", (target) => typing.push(["stop", "to" in target ? target.to : target.conversationId]));

    expect(await connection!.subscribePresence(["u1", "u2"])).toEqual([
      { userId: "u1", online: true, lastSeenAt: null },
      { userId: "u2", online: true, lastSeenAt: null },
    ]);
    connection!.sendTyping({ to: "u1" }, true);
    connection!.sendTyping({ to: "u1" }, false);
    await waitFor(() => typing.length === 2);
    expect(typing).toEqual([
      ["start", "u1"],
      ["stop", "u1"],
    ]);

    connection!.socket.disconnect();
    connection!.sendTyping({ to: "u1" }, true); // dropped, not queued for later
    expect(await connection!.subscribePresence(["u1"])).toBeNull();
    connection!.reconnectNow();
    await waitFor(() => client.connects() === 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(typing).toHaveLength(2);
  });

  it("when typing in a group and its membership changes, then typing goes by conversation id and the change reaches the handler", async () => {
    const updates: unknown[] = [];
    const client = connect(buildTokens(), { onConversationUpdated: (update) => updates.push(update) });
    await waitFor(() => client.connects() === 1);
    const socket = await serverSocket();
    const typing: unknown[] = [];
    socket.on("typing:start", (target) => typing.push(target));
    connection!.sendTyping({ conversationId: "g1" }, true);
    await waitFor(() => typing.length === 1);
    expect(typing).toEqual([{ conversationId: "g1" }]);
    const update = { conversationId: "g1", name: "Team", memberIds: ["a", "b", "c"], removedIds: ["d"] };
    socket.emit("conversation:updated", update);
    await waitFor(() => updates.length === 1);
    expect(updates).toEqual([update]);
  });

  it("when a message:changed arrives, then the handler gets the change with its message in the current shape", async () => {
    const changes: Change[] = [];
    const client = connect(buildTokens(), { onMessageChanged: (change) => changes.push(change) });
    await waitFor(() => client.connects() === 1);
    const socket = await serverSocket();
    // A message as a server before groups sent it: no kind, no system.
    const { kind: _kind, system: _system, ...message } = buildChatMessage({ content: "fixed", editedAt: new Date().toISOString() });
    const change = {
      conversationId: message.conversationId,
      pos: 7,
      type: "message.edited" as const,
      actorId: message.senderId,
      emoji: null,
      at: message.createdAt,
    };
    socket.emit("message:changed", { ...change, message: message as ChatMessage });
    await waitFor(() => changes.length === 1);
    expect(changes[0]).toEqual({ ...change, message: { ...message, kind: "text", system: null } });
  });
});
