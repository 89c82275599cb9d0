import { randomUUID } from "node:crypto";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClientToServerEvents, HandshakeAuth, PresenceState, ServerToClientEvents, TypingPayload } from "socket-server/contract";
import type { SessionInfo } from "../lib/types";
import { sendApi, signInApi, type ApiUser } from "./support/seed";
import { callApi } from "./support/node-chat";
import { startStack, type Stack } from "./support/stack";

/**
 * The socket server's rules, through the running processes (production build + socket server):
 * a signed-out session's token opens no new socket; typing and presence only between people who
 * share a conversation (the peers ticket from GET /api/auth/session); SOCKET_MAX_PER_USER.
 */

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
const MAX_PER_USER = 3;

let stack: Stack;
const sockets: Client[] = [];
const run = randomUUID().slice(0, 8);

beforeAll(async () => {
  stack = await startStack({ env: { SOCKET_MAX_PER_USER: String(MAX_PER_USER) } });
});

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await stack?.stop();
});

const session = (user: ApiUser) => callApi<SessionInfo>(user.http, "/api/auth/session");

/** Connects with this handshake auth; resolves once connected, rejects with the connect_error. */
function connect(auth: HandshakeAuth): Promise<Client> {
  const socket: Client = io(stack.socketUrl, { auth, transports: ["websocket"], reconnection: false, forceNew: true });
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (error) => {
      socket.close();
      reject(error);
    });
  });
}

async function connectAs(user: ApiUser): Promise<Client> {
  const { accessToken, peersTicket } = await session(user);
  return connect({ token: accessToken, peersTicket });
}

function next<E extends keyof ServerToClientEvents>(
  socket: Client,
  event: E,
  timeoutMs = 5_000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    (socket as unknown as { once(event: string, listener: (payload: unknown) => void): void }).once(event, (payload) => {
      clearTimeout(timer);
      resolve(payload as Parameters<ServerToClientEvents[E]>[0]);
    });
  });
}

describe("socket rules through the running servers", () => {
  it("when a user signs out, then their live socket is told and a handshake with the old token is refused", async () => {
    const user = await signInApi(stack.baseUrl, `leaver-${run}@example.com`);
    const { accessToken, peersTicket } = await session(user);
    const live = await connect({ token: accessToken, peersTicket });
    const told = next(live, "auth:error");

    await callApi(user.http, "/api/auth/logout", { method: "POST" });

    expect(await told).toEqual({ code: "signed_out" });
    await expect(connect({ token: accessToken, peersTicket })).rejects.toMatchObject({ message: "unauthorized" });
    // Without the ticket too: the token itself is refused.
    await expect(connect({ token: accessToken })).rejects.toMatchObject({ message: "unauthorized" });
  });

  it("when a stranger types to someone, then it is not relayed (only a peer's typing arrives) and presence answers peers only", async () => {
    const [ann, bob, carol] = await Promise.all([
      signInApi(stack.baseUrl, `ann-${run}@example.com`),
      signInApi(stack.baseUrl, `bob-${run}@example.com`),
      signInApi(stack.baseUrl, `carol-${run}@example.com`),
    ]);
    // Ann and Bob share a conversation; Carol shares none with either.
    await sendApi(ann, bob, "hi Bob");
    const [annSocket, bobSocket, carolSocket] = await Promise.all([connectAs(ann), connectAs(bob), connectAs(carol)]);
    const heardByBob: TypingPayload[] = [];
    bobSocket.on("typing:update", (payload) => heardByBob.push(payload));

    const forbidden = next(carolSocket, "error:forbidden");
    carolSocket.emit("typing:start", { to: bob.user.id });
    expect(await forbidden).toEqual({ event: "typing:start", reason: "not_a_peer" });
    // Sentinel: Ann's typing, sent after Carol's was dropped.
    const sentinel = next(bobSocket, "typing:update");
    annSocket.emit("typing:start", { to: bob.user.id });
    await sentinel;
    expect(heardByBob).toEqual([{ from: ann.user.id, typing: true }]);

    const states = await new Promise<PresenceState[]>((resolve) =>
      bobSocket.emit("presence:subscribe", [ann.user.id, carol.user.id], resolve),
    );
    expect(states).toEqual([{ userId: ann.user.id, online: true, lastSeenAt: null }]);
  });

  it("when two strangers exchange a first message while connected, then typing between them is relayed", async () => {
    const [dan, eve] = await Promise.all([
      signInApi(stack.baseUrl, `dan-${run}@example.com`),
      signInApi(stack.baseUrl, `eve-${run}@example.com`),
    ]);
    const [danSocket, eveSocket] = await Promise.all([connectAs(dan), connectAs(eve)]);
    const arrived = next(eveSocket, "message:new");

    await sendApi(dan, eve, "first contact");
    await arrived;

    const heard = next(eveSocket, "typing:update");
    danSocket.emit("typing:start", { to: eve.user.id });
    expect(await heard).toEqual({ from: dan.user.id, typing: true });
  });

  it("when a ticket is handed over with another user's token, then the handshake is refused", async () => {
    const [fay, gil] = await Promise.all([
      signInApi(stack.baseUrl, `fay-${run}@example.com`),
      signInApi(stack.baseUrl, `gil-${run}@example.com`),
    ]);
    const [fays, gils] = await Promise.all([session(fay), session(gil)]);

    await expect(connect({ token: fays.accessToken, peersTicket: gils.peersTicket })).rejects.toMatchObject({ message: "unauthorized" });
  });

  it(`when a user already has SOCKET_MAX_PER_USER (${MAX_PER_USER}) sockets, then the next handshake is refused with too_many_connections`, async () => {
    const hal = await signInApi(stack.baseUrl, `hal-${run}@example.com`);
    const auth = await session(hal);
    for (let i = 0; i < MAX_PER_USER; i++) await connect({ token: auth.accessToken, peersTicket: auth.peersTicket });

    await expect(connect({ token: auth.accessToken, peersTicket: auth.peersTicket })).rejects.toMatchObject({
      message: "too_many_connections",
      data: { code: "too_many_connections" },
    });
  });
});
