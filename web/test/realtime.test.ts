import { randomUUID } from "node:crypto";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage, ClientToServerEvents, ServerToClientEvents } from "socket-server/contract";
import { startTestApp, TEST_JWT_SECRET, TEST_WEBHOOK_SECRET } from "./support/app-env";
import { call, signIn } from "./support/routes";
import { startSocketServerProcess } from "./support/socket-server-process";

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

let socketServer: Awaited<ReturnType<typeof startSocketServerProcess>>;
let app: Awaited<ReturnType<typeof startTestApp>>;
const clients: Client[] = [];

beforeAll(async () => {
  socketServer = await startSocketServerProcess({ AUTH_JWT_SECRET: TEST_JWT_SECRET, WEBHOOK_SECRET: TEST_WEBHOOK_SECRET });
  app = await startTestApp({ socketServerUrl: socketServer.url });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await app.stop();
  await socketServer.stop();
});

/** Connects like the browser: a fresh access token from /api/auth/session. */
async function connectAs(cookie: string): Promise<{ socket: Client; received: ChatMessage[] }> {
  const session = await call("GET", "/api/auth/session", { cookie });
  const socket: Client = io(socketServer.url, { auth: { token: session.body.data.accessToken }, transports: ["websocket"] });
  clients.push(socket);
  const received: ChatMessage[] = [];
  socket.on("message:new", (message) => received.push(message));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  return { socket, received };
}

const until = async (check: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe("send → store → signed push → socket", () => {
  it("when a user sends, then the recipient and the sender's other tab get it live, a third user does not", async () => {
    const alice = await signIn("alice@example.com");
    const bob = await signIn("bob@example.com");
    const carol = await signIn("carol@example.com");
    const bobTab = await connectAs(bob.cookie);
    const aliceOtherTab = await connectAs(alice.cookie);
    const carolTab = await connectAs(carol.cookie);

    const sent = await call("POST", "/api/chat/send", {
      cookie: alice.cookie,
      json: { recipientId: bob.userId, content: "live hello", clientId: randomUUID() },
    });
    expect(sent.status).toBe(201);
    await until(() => bobTab.received.length === 1 && aliceOtherTab.received.length === 1);
    expect(bobTab.received[0]).toEqual(sent.body.data);
    expect(aliceOtherTab.received[0]).toEqual(sent.body.data);

    // A retry of the same clientId pushes again; the socket server drops the repeated webhook id.
    await call("POST", "/api/chat/send", {
      cookie: alice.cookie,
      json: { recipientId: bob.userId, content: "live hello", clientId: sent.body.data.clientId },
    });
    // Sentinels, sent after the repeat (whose push already left): once they arrive, a repeated
    // delivery would have arrived too.
    const bobSentinel = await call("POST", "/api/chat/send", {
      cookie: alice.cookie,
      json: { recipientId: bob.userId, content: "sentinel for bob", clientId: randomUUID() },
    });
    const carolSentinel = await call("POST", "/api/chat/send", {
      cookie: alice.cookie,
      json: { recipientId: carol.userId, content: "sentinel for carol", clientId: randomUUID() },
    });
    await until(() => bobTab.received.some((m) => m.id === bobSentinel.body.data.id));
    await until(() => carolTab.received.some((m) => m.id === carolSentinel.body.data.id));
    expect(bobTab.received.map((m) => m.id)).toEqual([sent.body.data.id, bobSentinel.body.data.id]);
    expect(carolTab.received.map((m) => m.id)).toEqual([carolSentinel.body.data.id]);
  });

  it("when a group member is removed, then their socket gets no more of the group's typing or messages, and the others still do", async () => {
    const [ann, ben, cat] = await Promise.all([
      signIn("ann.group@example.com"),
      signIn("ben.group@example.com"),
      signIn("cat.group@example.com"),
    ]);
    const connectWithTicket = async (cookie: string) => {
      const session = await call("GET", "/api/auth/session", { cookie });
      const socket: Client = io(socketServer.url, {
        auth: { token: session.body.data.accessToken, peersTicket: session.body.data.peersTicket },
        transports: ["websocket"],
      });
      clients.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("connect_error", reject);
      });
      return socket;
    };
    const [annSocket, benSocket, catSocket] = await Promise.all([
      connectWithTicket(ann.cookie),
      connectWithTicket(ben.cookie),
      connectWithTicket(cat.cookie),
    ]);
    const catEvents: unknown[] = [];
    catSocket.on("message:new", (message) => catEvents.push(message));
    catSocket.on("typing:update", (payload) => catEvents.push(payload));
    catSocket.on("conversation:updated", (update) => catEvents.push(update));

    const created = await call("POST", "/api/chat/conversations", {
      cookie: ann.cookie,
      json: { kind: "group", name: "Live team", memberIds: [ben.userId, cat.userId] },
    });
    expect(created.status).toBe(201);
    const group = created.body.data.id as string;
    await until(() => catEvents.some((event) => (event as { conversationId?: string; memberIds?: unknown }).memberIds !== undefined));
    const catHears = new Promise((resolve) => catSocket.once("typing:update", resolve));
    benSocket.emit("typing:start", { conversationId: group });
    expect(await catHears).toEqual({ from: ben.userId, typing: true, conversationId: group });

    const removed = await call("DELETE", `/api/chat/conversations/${group}/members/${cat.userId}`, { cookie: ann.cookie });
    expect(removed.status).toBe(200);
    await until(() => catEvents.some((event) => (event as { removedIds?: string[] }).removedIds?.includes(cat.userId) === true));
    const afterRemoval = catEvents.length;
    const annHears = new Promise((resolve) => annSocket.once("typing:update", resolve));
    benSocket.emit("typing:start", { conversationId: group });
    expect(await annHears).toEqual({ from: ben.userId, typing: true, conversationId: group });
    const sent = await call("POST", "/api/chat/send", {
      cookie: ben.cookie,
      json: { conversationId: group, content: "after cat left", clientId: randomUUID() },
    });
    expect(sent.status).toBe(201);
    const sentinel = await call("POST", "/api/chat/send", {
      cookie: ann.cookie,
      json: { recipientId: cat.userId, content: "sentinel for cat", clientId: randomUUID() },
    });
    await until(() => catEvents.some((event) => (event as ChatMessage).id === sentinel.body.data.id));

    // Only the removal's own system message (if it is addressed to cat) may precede the sentinel.
    const later = catEvents.slice(afterRemoval).filter((event) => (event as ChatMessage).kind !== "system");
    expect(later).toEqual([sentinel.body.data]);
  });

  it("when a socket presents no token or a forged one, then it is refused as unauthorized", async () => {
    for (const auth of [{}, { token: "forged.token.value" }]) {
      const socket: Client = io(socketServer.url, { auth, transports: ["websocket"], reconnection: false });
      clients.push(socket);
      const error = await new Promise<Error>((resolve) => socket.once("connect_error", resolve));
      expect(error.message).toBe("unauthorized");
    }
  });
});
