import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { ChatMessage, ConversationUpdate, ForbiddenPayload, Push, ReadState, TypingPayload } from "../src/contract/index.js";
import { buildMessage, buildReadState } from "../src/contract/testing.js";
import {
  connectClient,
  nextEvent,
  postPush,
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

async function start(): Promise<TestServer> {
  const server = await startServer();
  servers.push(server);
  return server;
}

async function connectAs(
  server: TestServer,
  userId: string,
  { peers = [], conversations }: { peers?: string[]; conversations?: string[] } = {},
) {
  const socket = await connectClient(server.url, await signToken({ sub: userId }), {
    peersTicket: await signPeersTicket(userId, peers, { conversations }),
  });
  clients.push(socket);
  return socket;
}

function push(server: TestServer, body: Push | Record<string, unknown>) {
  const text = JSON.stringify(body);
  return postPush(server.url, text, signPush(text));
}

function collect<T>(
  socket: ChatClient,
  event: "message:new" | "read:updated" | "typing:update" | "conversation:updated" | "error:forbidden",
) {
  const heard: T[] = [];
  (socket as unknown as { on(event: string, listener: (payload: T) => void): void }).on(event, (payload) => heard.push(payload));
  return heard;
}

const groupMessage = (conversationId: string, senderId: string, overrides: Partial<ChatMessage> = {}) =>
  buildMessage({ conversationId, senderId, recipientId: null, ...overrides });

const updated = (conversationId: string, memberIds: string[], removedIds: string[] = [], name: string | null = "Team"): Push => ({
  type: "conversation.updated",
  data: { conversationId, name, memberIds, removedIds },
  to: [...memberIds, ...removedIds],
});

/** A direct message push to `userId` from `from`: the sentinel that proves nothing else is coming. */
const sentinelTo = (userId: string, from = randomUUID()): Push => ({
  type: "message.created",
  data: buildMessage({ senderId: from, recipientId: userId, content: "sentinel" }),
});

describe("group pushes", () => {
  it("when a group message is pushed with `to`, then every member's sockets get it once and nobody else does", async () => {
    const server = await start();
    const [ann, bob, carol, stranger, group] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const [annTab1, annTab2, bobSocket, carolSocket, strangerSocket] = await Promise.all([
      connectAs(server, ann),
      connectAs(server, ann),
      connectAs(server, bob),
      connectAs(server, carol),
      connectAs(server, stranger),
    ]);
    const heard = [annTab1, annTab2, bobSocket, carolSocket, strangerSocket].map((socket) => collect<ChatMessage>(socket, "message:new"));
    const message = groupMessage(group, ann);

    expect((await push(server, { type: "message.created", data: message, to: [ann, bob, carol] })).status).toBe(202);
    const sentinel = sentinelTo(stranger);
    expect((await push(server, sentinel)).status).toBe(202);

    await waitFor(() => heard[4]!.length === 1, { what: "the stranger's sentinel" });
    for (const received of heard.slice(0, 4)) expect(received).toEqual([message]);
    expect(heard[4]).toEqual([sentinel.data]);
  });

  it("when a system message without content is pushed, then members get it with its `system` record", async () => {
    const server = await start();
    const [ann, bob, group] = [randomUUID(), randomUUID(), randomUUID()];
    const bobSocket = await connectAs(server, bob);
    const message = groupMessage(group, ann, {
      kind: "system",
      content: "",
      clientId: `system:${randomUUID()}`,
      system: { event: "member_added", actorId: ann, userIds: [bob], name: null },
    });
    const arrived = nextEvent(bobSocket, "message:new");

    expect((await push(server, { type: "message.created", data: message, to: [ann, bob] })).status).toBe(202);

    expect(await arrived).toEqual(message);
  });

  it("when a push from before groups carries no kind or system, then it is delivered as a text message", async () => {
    const server = await start();
    const [ann, bob] = [randomUUID(), randomUUID()];
    const bobSocket = await connectAs(server, bob);
    const { kind: _kind, system: _system, ...old } = buildMessage({ senderId: ann, recipientId: bob });
    const arrived = nextEvent(bobSocket, "message:new");

    expect((await push(server, { type: "message.created", data: old })).status).toBe(202);

    expect(await arrived).toEqual({ ...old, kind: "text", system: null });
  });

  it("when a group read position is pushed with `to`, then every member gets it; without `to` and peer, the reader's tabs only", async () => {
    const server = await start();
    const [ann, bob, carol, group] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const [annSocket, bobSocket, carolSocket] = await Promise.all([
      connectAs(server, ann),
      connectAs(server, bob),
      connectAs(server, carol),
    ]);
    const heard = [annSocket, bobSocket, carolSocket].map((socket) => collect<ReadState>(socket, "read:updated"));
    const read = buildReadState({ conversationId: group, userId: ann, peerId: null, lastReadSeq: 4 });
    const alone = buildReadState({ conversationId: group, userId: ann, peerId: null, lastReadSeq: 5 });

    expect((await push(server, { type: "read.updated", data: read, to: [ann, bob, carol] })).status).toBe(202);
    expect((await push(server, { type: "read.updated", data: alone })).status).toBe(202);
    const sentinel = { type: "read.updated", data: buildReadState({ userId: bob, peerId: carol, lastReadSeq: 9 }) } satisfies Push;
    expect((await push(server, sentinel)).status).toBe(202);

    await waitFor(() => heard[2]!.length === 2, { what: "carol's sentinel" });
    expect(heard[0]).toEqual([read, alone]);
    expect(heard[1]).toEqual([read, sentinel.data]);
    expect(heard[2]).toEqual([read, sentinel.data]);
  });

  it("when a conversation.updated push is invalid (no `to`, a bad id), then it is refused with 422 and nothing is emitted", async () => {
    const server = await start();
    const ann = randomUUID();
    const annSocket = await connectAs(server, ann);
    const heard = collect<ConversationUpdate>(annSocket, "conversation:updated");
    const data = { conversationId: randomUUID(), name: "Team", memberIds: [ann], removedIds: [] };

    expect((await push(server, { type: "conversation.updated", data })).status).toBe(422);
    expect((await push(server, { type: "conversation.updated", data: { ...data, memberIds: ["nope"] }, to: [ann] })).status).toBe(422);
    const sentinel = sentinelTo(ann);
    const arrived = nextEvent(annSocket, "message:new");
    expect((await push(server, sentinel)).status).toBe(202);

    expect(await arrived).toEqual(sentinel.data);
    expect(heard).toEqual([]);
  });
});

describe("membership changes on live sockets", () => {
  it("when a group is created, then members and only they hear conversation:updated, and typing in it reaches the others but not the typist's tabs", async () => {
    const server = await start();
    const [ann, bob, carol, stranger, group] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const [annTab1, annTab2, bobSocket, carolSocket, strangerSocket] = await Promise.all([
      connectAs(server, ann),
      connectAs(server, ann),
      connectAs(server, bob),
      connectAs(server, carol),
      connectAs(server, stranger),
    ]);
    const updates = [annTab1, bobSocket, carolSocket, strangerSocket].map((socket) =>
      collect<ConversationUpdate>(socket, "conversation:updated"),
    );
    const typing = [annTab1, annTab2, bobSocket, carolSocket, strangerSocket].map((socket) =>
      collect<TypingPayload>(socket, "typing:update"),
    );
    const create = updated(group, [ann, bob, carol]);

    expect((await push(server, create)).status).toBe(202);
    await waitFor(() => updates[2]!.length === 1, { what: "carol's conversation:updated" });
    annTab1.emit("typing:start", { conversationId: group });
    // Sentinels: each socket's next typing comes from bob, after ann's on the same server.
    await waitFor(() => typing[3]!.length === 1, { what: "carol to hear ann" });
    bobSocket.emit("typing:start", { conversationId: group });
    await waitFor(() => typing[0]!.length === 1 && typing[1]!.length === 1 && typing[3]!.length === 2, { what: "bob's typing" });

    for (const received of updates.slice(0, 3)) expect(received).toEqual([create.type === "conversation.updated" && create.data]);
    expect(updates[3]).toEqual([]);
    const fromAnn = { from: ann, typing: true, conversationId: group };
    const fromBob = { from: bob, typing: true, conversationId: group };
    expect(typing[0]).toEqual([fromBob]);
    expect(typing[1]).toEqual([fromBob]);
    expect(typing[2]).toEqual([fromAnn]);
    expect(typing[3]).toEqual([fromAnn, fromBob]);
    expect(typing[4]).toEqual([]);
  });

  it("when a member is removed, then their sockets leave the group: no more typing reaches them and theirs is refused with not_a_member", async () => {
    const server = await start();
    const [ann, bob, carol, group] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const [annSocket, bobSocket, carolSocket] = await Promise.all([
      connectAs(server, ann, { conversations: [group] }),
      connectAs(server, bob, { conversations: [group] }),
      connectAs(server, carol, { conversations: [group] }),
    ]);
    const carolHeard = collect<TypingPayload>(carolSocket, "typing:update");
    const removal = updated(group, [ann, bob], [carol]);
    const told = nextEvent(carolSocket, "conversation:updated");

    expect((await push(server, removal)).status).toBe(202);
    expect(await told).toEqual(removal.data);
    const refused = nextEvent(carolSocket, "error:forbidden");
    carolSocket.emit("typing:start", { conversationId: group });
    const bobHears = nextEvent(bobSocket, "typing:update");
    annSocket.emit("typing:start", { conversationId: group });
    expect(await bobHears).toEqual({ from: ann, typing: true, conversationId: group });
    // Sentinel: a push to carol, emitted after ann's typing was (bob has heard it).
    const sentinel = sentinelTo(carol);
    const arrived = nextEvent(carolSocket, "message:new");
    expect((await push(server, sentinel)).status).toBe(202);

    expect(await refused).toEqual({ event: "typing:start", reason: "not_a_member" } satisfies ForbiddenPayload);
    expect(await arrived).toEqual(sentinel.data);
    expect(carolHeard).toEqual([]);
  });

  it("when the peers ticket lists a group, then the socket is in it from the handshake; a group it does not list is refused", async () => {
    const server = await start();
    const [ann, bob, group, other] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const [annSocket, bobSocket] = await Promise.all([
      connectAs(server, ann, { conversations: [group] }),
      connectAs(server, bob, { conversations: [group] }),
    ]);

    const heard = nextEvent(bobSocket, "typing:update");
    annSocket.emit("typing:stop", { conversationId: group });
    expect(await heard).toEqual({ from: ann, typing: false, conversationId: group });

    const refused = nextEvent(annSocket, "error:forbidden");
    annSocket.emit("typing:start", { conversationId: other });
    expect(await refused).toEqual({ event: "typing:start", reason: "not_a_member" });
  });

  it("when a typing payload names both a peer and a group, or neither, then it is dropped", async () => {
    const server = await start();
    const [ann, bob, group] = [randomUUID(), randomUUID(), randomUUID()];
    const [annSocket, bobSocket] = await Promise.all([
      connectAs(server, ann, { peers: [bob], conversations: [group] }),
      connectAs(server, bob, { peers: [ann], conversations: [group] }),
    ]);
    const heard = collect<TypingPayload>(bobSocket, "typing:update");

    (annSocket as unknown as { emit(event: string, payload: unknown): void }).emit("typing:start", { to: bob, conversationId: group });
    (annSocket as unknown as { emit(event: string, payload: unknown): void }).emit("typing:start", {});
    const sentinel = nextEvent(bobSocket, "typing:update");
    annSocket.emit("typing:start", { to: bob });

    expect(await sentinel).toEqual({ from: ann, typing: true });
    expect(heard).toEqual([{ from: ann, typing: true }]);
  });

  it("when a ticket lists 1,000 peers and 1,000 groups, then the handshake passes; with 1,001 groups it is refused", async () => {
    const server = await start();
    const ann = randomUUID();
    const ids = (count: number) => Array.from({ length: count }, () => randomUUID());
    const full = await signPeersTicket(ann, ids(1_000), { conversations: ids(1_000) });
    const tooMany = await signPeersTicket(ann, [], { conversations: ids(1_001) });
    const token = await signToken({ sub: ann });

    const socket = await connectClient(server.url, token, { peersTicket: full });
    clients.push(socket);
    expect(socket.connected).toBe(true);
    await expect(connectClient(server.url, token, { peersTicket: tooMany })).rejects.toMatchObject({ message: "unauthorized" });
  });

  it("when a group is created, then its members are peers: presence and direct typing between them are allowed", async () => {
    const server = await start();
    const [ann, bob, carol, group] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const [annSocket, bobSocket] = await Promise.all([connectAs(server, ann), connectAs(server, bob)]);
    const refused = nextEvent(annSocket, "error:forbidden");
    annSocket.emit("typing:start", { to: bob });
    expect(await refused).toEqual({ event: "typing:start", reason: "not_a_peer" });

    expect((await push(server, updated(group, [ann, bob, carol]))).status).toBe(202);
    const states = await new Promise((resolve) => annSocket.emit("presence:subscribe", [bob, carol], resolve));
    const heard = nextEvent(bobSocket, "typing:update");
    annSocket.emit("typing:start", { to: bob });

    expect(states).toEqual([
      { userId: bob, online: true, lastSeenAt: null },
      { userId: carol, online: false, lastSeenAt: null },
    ]);
    expect(await heard).toEqual({ from: ann, typing: true });
  });
});
