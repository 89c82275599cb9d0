import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../src/logger.js";
import { createRedisBackend, redisAppDeps } from "../src/redis.js";
import {
  buildPush,
  collectMessages,
  connectClient,
  nextEvent,
  nextMessage,
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

// Needs Redis. TEST_REDIS_URL opts in (CI sets it); a local redis-server binary, when
// present, is then preferred for isolation and is the only way to test a restart.
const TEST_REDIS_URL = process.env.TEST_REDIS_URL;
const IN_CI = process.env.CI === "true";
const HAS_REDIS_SERVER = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;

if (!TEST_REDIS_URL && !IN_CI) {
  console.warn(
    "[cluster.test] TEST_REDIS_URL is not set: skipping the Redis scale-out suite (e.g. TEST_REDIS_URL=redis://127.0.0.1:6379).",
  );
}

if (!TEST_REDIS_URL && IN_CI) {
  throw new Error("TEST_REDIS_URL is required when CI=true: the Redis scale-out suite must not be skipped in CI");
}

describe.skipIf(!TEST_REDIS_URL)("two instances sharing Redis", { timeout: 15_000 }, () => {
  let redis: LocalRedis | undefined;
  let redisUrl: string;
  let a: TestServer;
  let b: TestServer;
  let clients: ChatClient[] = [];

  beforeAll(async () => {
    redis = HAS_REDIS_SERVER ? await startLocalRedis() : undefined;
    redisUrl = redis?.url ?? TEST_REDIS_URL!;
  });

  afterAll(async () => {
    await redis?.stop();
  });

  beforeEach(async () => {
    // A fresh prefix per test: nothing leaks between tests, or into a shared Redis.
    const keyPrefix = `test:${randomUUID()}:`;
    [a, b] = await Promise.all([startInstance(redisUrl, keyPrefix), startInstance(redisUrl, keyPrefix)]);
    await Promise.all([waitUntilReady(a), waitUntilReady(b)]);
  });

  afterEach(async () => {
    for (const client of clients) client.close();
    clients = [];
    await Promise.all([a.close(), b.close()]);
    if (redis && !redis.running) await redis.start();
  });

  async function connectTo(server: TestServer, userId: string): Promise<ChatClient> {
    const socket = await connectClient(server.url, await signToken({ sub: userId }));
    clients.push(socket);
    return socket;
  }

  it("when a session is signed out through a push to A, then its token is refused at B's handshake", async () => {
    const [user, session] = [randomUUID(), randomUUID()];
    const token = await signToken({ sub: user, session_id: session });
    const onB = await connectClient(b.url, token);
    clients.push(onB);
    const told = nextEvent(onB, "auth:error");
    const body = JSON.stringify({ type: "session.revoked", data: { userId: user, sessionId: session } });

    expect((await postPush(a.url, body, signPush(body))).status).toBe(202);

    expect(await told).toEqual({ code: "signed_out" });
    await expect(connectClient(b.url, token)).rejects.toMatchObject({ message: "unauthorized" });
    await expect(connectClient(a.url, token)).rejects.toMatchObject({ message: "unauthorized" });
  });

  it("when two strangers' first message is pushed to A, then typing between them is relayed on B", async () => {
    const [ann, carol] = [randomUUID(), randomUUID()];
    const ticket = (userId: string) => signPeersTicket(userId, []);
    const annOnB = await connectClient(b.url, await signToken({ sub: ann }), { peersTicket: await ticket(ann) });
    const carolOnB = await connectClient(b.url, await signToken({ sub: carol }), { peersTicket: await ticket(carol) });
    clients.push(annOnB, carolOnB);

    expect((await sendPush(a.url, buildPush({ senderId: carol, recipientId: ann, seq: 1 }))).status).toBe(202);

    const heard = nextEvent(carolOnB, "typing:update");
    annOnB.emit("typing:start", { to: carol });
    expect(await heard).toEqual({ from: ann, typing: true });
  });

  it("when a member is removed through a push to A, then their socket on B gets no more group typing or messages, and the others still do", async () => {
    const [ann, bob, carol, group] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const join = async (server: TestServer, userId: string) => {
      const socket = await connectClient(server.url, await signToken({ sub: userId }), {
        peersTicket: await signPeersTicket(userId, [], { conversations: [group] }),
      });
      clients.push(socket);
      return socket;
    };
    const [annOnA, bobOnB, carolOnB] = [await join(a, ann), await join(b, bob), await join(b, carol)];
    const carolHeard: unknown[] = [];
    for (const event of ["typing:update", "message:new"] as const) carolOnB.on(event, (payload: unknown) => carolHeard.push(payload));

    // Before: typing from A reaches both members on B.
    const bobHears = nextEvent(bobOnB, "typing:update");
    const carolHears = nextEvent(carolOnB, "typing:update");
    annOnA.emit("typing:start", { conversationId: group });
    expect(await bobHears).toEqual({ from: ann, typing: true, conversationId: group });
    expect(await carolHears).toEqual({ from: ann, typing: true, conversationId: group });
    carolHeard.length = 0;

    const removal = {
      type: "conversation.updated",
      data: { conversationId: group, name: "Team", memberIds: [ann, bob], removedIds: [carol] },
      to: [ann, bob, carol],
    };
    const told = nextEvent(carolOnB, "conversation:updated");
    const body = JSON.stringify(removal);
    expect((await postPush(a.url, body, signPush(body))).status).toBe(202);
    expect(await told).toEqual(removal.data);

    // After: typing from A (in the group) and a group message pushed to A (to the members at commit).
    const bobHearsAgain = nextEvent(bobOnB, "typing:update");
    annOnA.emit("typing:stop", { conversationId: group });
    expect(await bobHearsAgain).toEqual({ from: ann, typing: false, conversationId: group });
    const groupMessage = buildPush({ conversationId: group, senderId: ann, recipientId: null });
    const bobGetsIt = nextMessage(bobOnB);
    expect((await sendPush(a.url, { ...groupMessage, to: [ann, bob] })).status).toBe(202);
    expect(await bobGetsIt).toEqual(groupMessage.data);
    const refused = nextEvent(carolOnB, "error:forbidden");
    carolOnB.emit("typing:start", { conversationId: group });
    expect(await refused).toEqual({ event: "typing:start", reason: "not_a_member" });

    // Sentinel, through A's Redis connection after the typing relayed above and the message: carol's next event.
    const sentinel = buildPush({ recipientId: carol, content: "sentinel" });
    const carolGetsSentinel = nextMessage(carolOnB);
    expect((await sendPush(a.url, sentinel)).status).toBe(202);
    expect(await carolGetsSentinel).toEqual(sentinel.data);
    expect(carolHeard).toEqual([sentinel.data]);
  });

  it("when a group is created through a push to B, then members on A join it: typing and presence work across instances", async () => {
    const [ann, bob, dave, group] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const annOnA = await connectClient(a.url, await signToken({ sub: ann }), { peersTicket: await signPeersTicket(ann, []) });
    const bobOnB = await connectClient(b.url, await signToken({ sub: bob }), { peersTicket: await signPeersTicket(bob, []) });
    clients.push(annOnA, bobOnB);
    const created = {
      type: "conversation.updated",
      data: { conversationId: group, name: "Team", memberIds: [ann, bob, dave], removedIds: [] },
      to: [ann, bob, dave],
    };
    const annTold = nextEvent(annOnA, "conversation:updated");
    const body = JSON.stringify(created);

    expect((await postPush(b.url, body, signPush(body))).status).toBe(202);
    expect(await annTold).toEqual(created.data);
    const bobHears = nextEvent(bobOnB, "typing:update");
    annOnA.emit("typing:start", { conversationId: group });
    expect(await bobHears).toEqual({ from: ann, typing: true, conversationId: group });
    const states = await new Promise((resolve) => annOnA.emit("presence:subscribe", [bob, dave], resolve));
    expect(states).toEqual([
      { userId: bob, online: true, lastSeenAt: null },
      { userId: dave, online: false, lastSeenAt: null },
    ]);
  });

  it("when a user holds the most sockets allowed across A and B, then the next handshake on either is refused", async () => {
    const keyPrefix = `test:${randomUUID()}:`;
    const [small1, small2] = await Promise.all([
      startServer({ maxSocketsPerUser: 2 }, redisAppDeps(createRedisBackend({ url: redisUrl, logger: silentLogger, keyPrefix }))),
      startServer({ maxSocketsPerUser: 2 }, redisAppDeps(createRedisBackend({ url: redisUrl, logger: silentLogger, keyPrefix }))),
    ]);
    try {
      await Promise.all([waitUntilReady(small1), waitUntilReady(small2)]);
      const token = await signToken();
      clients.push(await connectClient(small1.url, token), await connectClient(small2.url, token));

      await expect(connectClient(small1.url, token)).rejects.toMatchObject({ message: "too_many_connections" });
      await expect(connectClient(small2.url, token)).rejects.toMatchObject({ message: "too_many_connections" });
    } finally {
      for (const client of clients) client.close();
      clients = [];
      await Promise.all([small1.close(), small2.close()]);
    }
  });

  it("when a user is connected to instance B, then a push sent to instance A reaches them", async () => {
    const recipientId = randomUUID();
    const recipient = await connectTo(b, recipientId);
    const push = buildPush({ recipientId });

    const [response, message] = await Promise.all([sendPush(a.url, push), nextMessage(recipient)]);

    expect(response.status).toBe(202);
    expect(message).toEqual(push.data);
  });

  it("when the same webhook-id is sent to A and then to B, then the message is emitted once", async () => {
    const recipientId = randomUUID();
    const recipient = await connectTo(b, recipientId);
    const received = collectMessages(recipient);
    const push = buildPush({ recipientId });
    const id = `msg_${push.data.id}`;

    const first = await sendPush(a.url, push, { id });
    const second = await sendPush(b.url, push, { id });

    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ data: { duplicate: true } });
    // A publishes in order, so once its later sentinel is in, nothing else is coming.
    const sentinel = buildPush({ recipientId, content: "sentinel" });
    expect((await sendPush(a.url, sentinel)).status).toBe(202);
    await waitFor(() => received.some((message) => message.id === sentinel.data.id), { what: "the sentinel" });
    expect(received).toEqual([push.data, sentinel.data]);
  });

  it.skipIf(!HAS_REDIS_SERVER)("when Redis is down, then a push answers 503 unavailable and both instances keep serving", async () => {
    const recipientId = randomUUID();
    const recipient = await connectTo(b, recipientId);

    await redis!.stop();
    await waitFor(async () => (await fetch(`${a.url}/readyz`)).status === 503, { what: "A to see Redis down" });
    const response = await sendPush(a.url, buildPush({ recipientId }));

    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: { code: "unavailable", message: expect.any(String) } });
    expect((await fetch(`${a.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${b.url}/healthz`)).status).toBe(200);
    expect(recipient.connected).toBe(true);
  });

  it.skipIf(!HAS_REDIS_SERVER)("when Redis restarts, then a new push to A reaches the user on B within a few seconds", async () => {
    const recipientId = randomUUID();
    const recipient = await connectTo(b, recipientId);

    await redis!.stop();
    await Promise.all([waitUntilNotReady(a), waitUntilNotReady(b)]);
    await redis!.start();
    // Both adapters reconnect (and B resubscribes) on their own.
    await Promise.all([waitUntilReady(a, 8_000), waitUntilReady(b, 8_000)]);
    const push = buildPush({ recipientId });
    const [response, message] = await Promise.all([sendPush(a.url, push), nextMessage(recipient)]);

    expect(response.status).toBe(202);
    expect(message).toEqual(push.data);
    expect(recipient.connected).toBe(true);
  });
});

function startInstance(url: string, keyPrefix: string): Promise<TestServer> {
  return startServer({}, redisAppDeps(createRedisBackend({ url, logger: silentLogger, keyPrefix })));
}

const isReady = async (server: TestServer) => (await fetch(`${server.url}/readyz`)).status === 200;

function waitUntilReady(server: TestServer, timeoutMs = 4_000): Promise<void> {
  return waitFor(() => isReady(server), { timeoutMs, what: `${server.url}/readyz to answer 200` });
}

function waitUntilNotReady(server: TestServer): Promise<void> {
  return waitFor(async () => !(await isReady(server)), { what: `${server.url}/readyz to answer 503` });
}

interface LocalRedis {
  url: string;
  readonly running: boolean;
  /** Kills the server like a crash (SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

/** A private redis-server on a free port: no persistence, nothing shared with other runs. */
async function startLocalRedis(): Promise<LocalRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async () => {
    const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 5_000);
      proc.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}):\n${output}`));
      });
    });
  };

  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = once(proc, "exit");
    proc.kill("SIGKILL");
    await exited;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== undefined && child.exitCode === null;
    },
    stop,
    start,
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || !address) throw new Error("no port");
  return address.port;
}
