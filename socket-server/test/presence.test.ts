import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PresenceState, Push, ReadState } from "../src/contract/index.js";
import {
  connectClient,
  nextEvent,
  postPush,
  signPeersTicket,
  signPush,
  signToken,
  sleep,
  startServer,
  type ChatClient,
  type TestServer,
} from "./helpers.js";

let server: TestServer;
let clients: ChatClient[] = [];

beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  for (const client of clients) client.close();
  clients = [];
  await server.close();
});

async function connectAs(userId: string, sessionId: string = randomUUID(), peers: string[] = []): Promise<ChatClient> {
  const socket = await connectClient(server.url, await signToken({ sub: userId, session_id: sessionId }), {
    peersTicket: await signPeersTicket(userId, peers),
  });
  clients.push(socket);
  return socket;
}

const subscribe = (socket: ChatClient, userIds: string[]) =>
  new Promise<PresenceState[]>((resolve) => socket.emit("presence:subscribe", userIds, resolve));

function push(body: Push) {
  const text = JSON.stringify(body);
  return postPush(server.url, text, signPush(text));
}

/** Resolves once `check` passes for an event, or rejects after `ms`. */
function eventMatching<T>(socket: ChatClient, event: string, check: (payload: T) => boolean, ms = 3_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching ${event}`)), ms);
    const on = socket.on.bind(socket) as unknown as (e: string, l: (p: T) => void) => void;
    on(event, (payload) => {
      if (check(payload)) {
        clearTimeout(timer);
        resolve(payload);
      }
    });
  });
}

describe("presence", () => {
  it("when a followed user connects and leaves, then followers see online and then offline with last seen", async () => {
    const ann = randomUUID();
    const bob = randomUUID();
    const annSocket = await connectAs(ann, randomUUID(), [bob]);
    expect(await subscribe(annSocket, [bob])).toEqual([{ userId: bob, online: false, lastSeenAt: null }]);

    const online = eventMatching<PresenceState>(annSocket, "presence:update", (s) => s.userId === bob && s.online);
    const bobTab1 = await connectAs(bob);
    await online;
    const bobTab2 = await connectAs(bob);
    expect(await subscribe(annSocket, [bob])).toEqual([{ userId: bob, online: true, lastSeenAt: null }]);

    // Online while any tab is connected.
    bobTab1.close();
    await sleep(200);
    expect((await subscribe(annSocket, [bob]))[0]!.online).toBe(true);

    const offline = eventMatching<PresenceState>(annSocket, "presence:update", (s) => s.userId === bob && !s.online);
    bobTab2.close();
    const state = await offline;
    expect(Date.now() - new Date(state.lastSeenAt!).getTime()).toBeLessThan(5_000);
    expect((await subscribe(annSocket, [bob]))[0]).toEqual(state);
  });

  it("when the subscription is not a list of at most 200 ids, then it answers empty without crashing", async () => {
    const socket = await connectAs(randomUUID());
    const emit = socket.emit.bind(socket) as unknown as (e: string, ...a: unknown[]) => void;
    const ask = (payload: unknown) => new Promise((resolve) => emit("presence:subscribe", payload, resolve));
    expect(await ask("not-a-list")).toEqual([]);
    expect(await ask(Array.from({ length: 201 }, () => randomUUID()))).toEqual([]);
    expect(await ask(["not-a-uuid"])).toEqual([]);
    expect(socket.connected).toBe(true);
  });

  it("when a frame is larger than the cap, then that socket is cut off and the server carries on", async () => {
    const socket = await connectAs(randomUUID());
    const closed = new Promise((resolve) => socket.once("disconnect", resolve));
    socket.emit("typing:start", { to: "x".repeat(200_000) });
    await closed;
    const other = await connectAs(randomUUID());
    expect(other.connected).toBe(true);
  });
});

describe("typing", () => {
  it("when a user types to a peer, then only that peer hears it", async () => {
    const ann = randomUUID();
    const bob = randomUUID();
    const carol = randomUUID();
    const dave = randomUUID();
    const annSocket = await connectAs(ann, randomUUID(), [bob]);
    const bobSocket = await connectAs(bob);
    const carolSocket = await connectAs(carol);
    const daveSocket = await connectAs(dave, randomUUID(), [carol]);
    const heardByCarol: unknown[] = [];
    carolSocket.on("typing:update", (p) => heardByCarol.push(p));

    const started = nextEvent(bobSocket, "typing:update");
    annSocket.emit("typing:start", { to: bob });
    expect(await started).toEqual({ from: ann, typing: true });
    const stopped = nextEvent(bobSocket, "typing:update");
    annSocket.emit("typing:stop", { to: bob });
    expect(await stopped).toEqual({ from: ann, typing: false });
    // Sentinel: Ann's events are handled (Bob has both), so anything they sent Carol was written
    // to her connection before Dave's typing, which she gets next.
    const sentinel = eventMatching<{ from: string }>(carolSocket, "typing:update", (p) => p.from === dave);
    daveSocket.emit("typing:start", { to: carol });
    await sentinel;
    expect(heardByCarol).toEqual([{ from: dave, typing: true }]);
  });

  it("when a socket floods typing events, then the excess is dropped with error:rate_limited", async () => {
    const bob = randomUUID();
    const annSocket = await connectAs(randomUUID(), randomUUID(), [bob]);
    const bobSocket = await connectAs(bob);
    let heard = 0;
    bobSocket.on("typing:update", () => heard++);
    const limited = nextEvent(annSocket, "error:rate_limited");
    for (let i = 0; i < 40; i++) annSocket.emit("typing:start", { to: bob });
    expect((await limited).event).toBe("typing:start");
    // Sentinels: a socket's events are handled in order, so the refusal of a typing:stop sent
    // last means the flood is handled; a push to Bob after that reaches him behind every
    // typing update the flood produced.
    const floodHandled = eventMatching<{ event: string }>(annSocket, "error:rate_limited", (p) => p.event === "typing:stop");
    annSocket.emit("typing:stop", { to: bob });
    await floodHandled;
    const state: ReadState = { conversationId: randomUUID(), userId: bob, peerId: randomUUID(), lastReadSeq: 1 };
    const pushed = nextEvent(bobSocket, "read:updated");
    expect((await push({ type: "read.updated", data: state })).status).toBe(202);
    await pushed;
    expect(heard).toBeGreaterThan(0);
    expect(heard).toBeLessThanOrEqual(20);
  });
});

describe("pushes besides messages", () => {
  it("when a read position is pushed, then the reader's tabs and the peer get read:updated", async () => {
    const reader = randomUUID();
    const peer = randomUUID();
    const readerTab = await connectAs(reader);
    const peerTab = await connectAs(peer);
    const state: ReadState = { conversationId: randomUUID(), userId: reader, peerId: peer, lastReadSeq: 7 };
    const toReader = nextEvent(readerTab, "read:updated");
    const toPeer = nextEvent(peerTab, "read:updated");
    expect((await push({ type: "read.updated", data: state })).status).toBe(202);
    expect(await toReader).toEqual(state);
    expect(await toPeer).toEqual(state);
  });

  it("when a session is revoked, then its sockets get signed_out and are disconnected; other sessions stay", async () => {
    const user = randomUUID();
    const ended = randomUUID();
    const doomed = await connectAs(user, ended);
    const survivor = await connectAs(user, randomUUID());
    const told = nextEvent(doomed, "auth:error");
    const gone = new Promise((resolve) => doomed.once("disconnect", resolve));
    expect((await push({ type: "session.revoked", data: { userId: user, sessionId: ended } })).status).toBe(202);
    expect(await told).toEqual({ code: "signed_out" });
    await gone;
    await sleep(100);
    expect(survivor.connected).toBe(true);
  });

  it("when every session of a user is revoked (sessionId null), then all their sockets go", async () => {
    const user = randomUUID();
    const a = await connectAs(user);
    const b = await connectAs(user);
    await push({ type: "session.revoked", data: { userId: user, sessionId: null } });
    await sleep(300);
    expect([a.connected, b.connected]).toEqual([false, false]);
  });

  it("when a push has an unknown type, then 422", async () => {
    const body = JSON.stringify({ type: "user.deleted", data: {} });
    expect((await postPush(server.url, body, signPush(body))).status).toBe(422);
  });
});
