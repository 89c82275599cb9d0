import { randomUUID } from "node:crypto";
import { RateLimiterMemory } from "rate-limiter-flexible";
import { afterEach, describe, expect, it } from "vitest";
import type { ForbiddenPayload, PresenceState, Push, TypingPayload } from "../src/contract/index.js";
import {
  buildPush,
  connectClient,
  newWebhookSecret,
  nextEvent,
  postPush,
  sendPush,
  signPeersTicket,
  signPush,
  signToken,
  startServer,
  waitFor,
  type ChatClient,
  type TestServer,
} from "./helpers.js";

let servers: TestServer[] = [];
let clients: ChatClient[] = [];

afterEach(async () => {
  for (const client of clients) client.close();
  clients = [];
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function start(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const server = await startServer(...args);
  servers.push(server);
  return server;
}

async function connect(server: TestServer, token: string, auth: Record<string, unknown> = {}): Promise<ChatClient> {
  const socket = await connectClient(server.url, token, auth);
  clients.push(socket);
  return socket;
}

async function connectAs(server: TestServer, userId: string, peers: string[] = [], sessionId = randomUUID()): Promise<ChatClient> {
  return connect(server, await signToken({ sub: userId, session_id: sessionId }), { peersTicket: await signPeersTicket(userId, peers) });
}

function push(server: TestServer, body: Push) {
  const text = JSON.stringify(body);
  return postPush(server.url, text, signPush(text));
}

const subscribe = (socket: ChatClient, userIds: string[]) =>
  new Promise<PresenceState[]>((resolve) => socket.emit("presence:subscribe", userIds, resolve));

function collectTyping(socket: ChatClient): TypingPayload[] {
  const heard: TypingPayload[] = [];
  socket.on("typing:update", (payload) => heard.push(payload));
  return heard;
}

describe("signing out revokes", () => {
  it("when a session is signed out, then its token opens no new socket, and the user's other session still does", async () => {
    const server = await start();
    const [user, ended, other] = [randomUUID(), randomUUID(), randomUUID()];
    const token = await signToken({ sub: user, session_id: ended });
    await connect(server, token);

    expect((await push(server, { type: "session.revoked", data: { userId: user, sessionId: ended } })).status).toBe(202);

    await expect(connectClient(server.url, token)).rejects.toMatchObject({ message: "unauthorized", data: { code: "unauthorized" } });
    expect((await connect(server, await signToken({ sub: user, session_id: other }))).connected).toBe(true);
  });

  it("when every session of a user is signed out, then tokens issued before open no socket and one issued later does", async () => {
    const server = await start();
    const user = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const before = await signToken({ sub: user, iat: now - 60 });

    expect((await push(server, { type: "session.revoked", data: { userId: user, sessionId: null } })).status).toBe(202);

    await expect(connectClient(server.url, before)).rejects.toMatchObject({ message: "unauthorized" });
    await expect(connectClient(server.url, await signToken({ sub: user, iat: undefined }))).rejects.toMatchObject({
      message: "unauthorized",
    });
    expect((await connect(server, await signToken({ sub: user, iat: now + 2 }))).connected).toBe(true);
  });
});

describe("peers ticket", () => {
  const refused: Array<[string, (userId: string) => Promise<unknown>]> = [
    ["is signed with a key from another webhook secret", (userId) => signPeersTicket(userId, [], { secret: newWebhookSecret() })],
    ["names another user", () => signPeersTicket(randomUUID(), [])],
    ["has expired", (userId) => signPeersTicket(userId, [], { expiresInSeconds: -10 })],
    ["is not a JWT", async () => "not-a-ticket"],
    ["is not a string", async () => 42],
    ["lists ids that are not UUIDs", (userId) => signPeersTicket(userId, ["bob"])],
  ];

  it.each(refused)("when the ticket %s, then the handshake is refused as unauthorized", async (_case, makeTicket) => {
    const server = await start();
    const userId = randomUUID();

    await expect(
      connectClient(server.url, await signToken({ sub: userId }), { peersTicket: await makeTicket(userId) }),
    ).rejects.toMatchObject({
      message: "unauthorized",
    });
  });

  it("when the ticket is signed with the second configured secret (rotation), then it is accepted", async () => {
    const [current, next] = [newWebhookSecret(), newWebhookSecret()];
    const server = await start({ webhookSecrets: [current, next] });
    const userId = randomUUID();

    const socket = await connect(server, await signToken({ sub: userId }), {
      peersTicket: await signPeersTicket(userId, [], { secret: next }),
    });

    expect(socket.connected).toBe(true);
  });
});

describe("typing and presence only between peers", () => {
  it("when a user types to a stranger, then it is dropped with error:forbidden and only a peer's typing reaches the stranger", async () => {
    const server = await start();
    const [ann, carol, dave] = [randomUUID(), randomUUID(), randomUUID()];
    const annSocket = await connectAs(server, ann, []);
    const carolSocket = await connectAs(server, carol, [dave]);
    const daveSocket = await connectAs(server, dave, [carol]);
    const heardByCarol = collectTyping(carolSocket);

    const forbidden = nextEvent(annSocket, "error:forbidden");
    annSocket.emit("typing:start", { to: carol });
    expect(await forbidden).toEqual({ event: "typing:start", reason: "not_a_peer" } satisfies ForbiddenPayload);
    // Sentinel: a peer's typing, sent after the stranger's was dropped.
    const sentinel = nextEvent(carolSocket, "typing:update");
    daveSocket.emit("typing:start", { to: carol });
    await sentinel;

    expect(heardByCarol).toEqual([{ from: dave, typing: true }]);
  });

  it("when a user subscribes to presence, then only peers (and themselves) are followed and answered", async () => {
    const server = await start();
    const [ann, bob, carol] = [randomUUID(), randomUUID(), randomUUID()];
    const annSocket = await connectAs(server, ann, [bob]);
    await connectAs(server, carol);

    const states = await subscribe(annSocket, [bob, carol, ann]);

    expect(states.map((state) => state.userId).sort()).toEqual([ann, bob].sort());
    expect(states.find((state) => state.userId === bob)).toEqual({ userId: bob, online: false, lastSeenAt: null });
    // Bob, followed, is announced when he comes online.
    const online = nextEvent(annSocket, "presence:update");
    await connectAs(server, bob, [ann]);
    expect(await online).toEqual({ userId: bob, online: true, lastSeenAt: null });
  });

  it("when a first message is pushed between two strangers, then they become peers for typing and presence", async () => {
    const server = await start();
    const [ann, carol] = [randomUUID(), randomUUID()];
    const annSocket = await connectAs(server, ann);
    const carolSocket = await connectAs(server, carol);
    expect(await subscribe(annSocket, [carol])).toEqual([]);

    expect((await sendPush(server.url, buildPush({ senderId: carol, recipientId: ann, seq: 1 }))).status).toBe(202);

    const heard = nextEvent(carolSocket, "typing:update");
    annSocket.emit("typing:start", { to: carol });
    expect(await heard).toEqual({ from: ann, typing: true });
    expect(await subscribe(annSocket, [carol])).toEqual([{ userId: carol, online: true, lastSeenAt: null }]);
  });

  it("when two strangers exchange a first message, then each follows the other's presence without subscribing", async () => {
    const server = await start();
    const [ann, carol] = [randomUUID(), randomUUID()];
    const annSocket = await connectAs(server, ann);
    const carolSocket = await connectAs(server, carol);
    const told = nextEvent(annSocket, "presence:update");

    expect((await sendPush(server.url, buildPush({ senderId: ann, recipientId: carol, seq: 1 }))).status).toBe(202);

    expect(await told).toEqual({ userId: carol, online: true, lastSeenAt: null });
    const offline = nextEvent(annSocket, "presence:update");
    carolSocket.close();
    expect(await offline).toMatchObject({ userId: carol, online: false });
  });

  it("when no ticket is given, then the socket connects with no peers", async () => {
    const server = await start();
    const socket = await connect(server, await signToken());

    const forbidden = nextEvent(socket, "error:forbidden");
    socket.emit("typing:stop", { to: randomUUID() });

    expect(await forbidden).toEqual({ event: "typing:stop", reason: "not_a_peer" });
  });
});

describe("per-user limits", () => {
  it("when a user's two sockets together pass the event limit, then the excess is dropped with error:rate_limited", async () => {
    const server = await start({}, { rateLimiter: new RateLimiterMemory({ points: 3, duration: 10 }) });
    const user = randomUUID();
    const [first, second] = [await connectAs(server, user), await connectAs(server, user)];
    const other = await connectAs(server, randomUUID());

    expect(await subscribe(first, [])).toEqual([]);
    expect(await subscribe(second, [])).toEqual([]);
    expect(await subscribe(first, [])).toEqual([]);
    const limited = nextEvent(second, "error:rate_limited");
    second.emit("presence:subscribe", [], () => {});

    expect((await limited).event).toBe("presence:subscribe");
    // Another user's budget is their own.
    expect(await subscribe(other, [])).toEqual([]);
  });

  it("when a user already holds the most sockets allowed, then the next handshake is refused with too_many_connections", async () => {
    const server = await start({ maxSocketsPerUser: 2 });
    const user = randomUUID();
    const token = await signToken({ sub: user });
    const first = await connect(server, token);
    await connect(server, token);

    await expect(connectClient(server.url, token)).rejects.toMatchObject({
      message: "too_many_connections",
      data: { code: "too_many_connections" },
    });
    expect((await connect(server, await signToken())).connected).toBe(true);

    first.close();
    await waitFor(async () => (await server.app.io.in(`user:${user}`).fetchSockets()).length === 1, {
      what: "the server to see the close",
    });
    expect((await connect(server, token)).connected).toBe(true);
  });

  it("when many handshakes of one user arrive at once, then only the allowed number connect", async () => {
    const server = await start({ maxSocketsPerUser: 3 });
    const token = await signToken();

    const results = await Promise.allSettled(Array.from({ length: 8 }, () => connect(server, token)));

    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(3);
    const reasons = results.flatMap((result) => (result.status === "rejected" ? [(result.reason as Error).message] : []));
    expect(reasons).toEqual(Array(5).fill("too_many_connections"));
  });
});
