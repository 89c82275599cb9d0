import { randomUUID } from "node:crypto";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage, ClientToServerEvents, ServerToClientEvents } from "socket-server/contract";
import { startTestApp, TEST_JWT_SECRET, TEST_WEBHOOK_SECRET } from "./support/app-env";
import { HAS_REDIS_SERVER, noteRedisSkip, startPrivateRedis, TEST_REDIS_URL } from "./support/redis-process";
import { call, signIn } from "./support/routes";
import { startSocketServerProcess } from "./support/socket-server-process";

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
noteRedisSkip("socket-server cluster with the web app");

/**
 * A user's view as the browser keeps it: live deliveries plus an HTTP catch-up (`after=`)
 * on every (re)connect, deduplicated by id.
 */
class SimulatedUser {
  seen = new Map<string, ChatMessage>();
  socket!: Client;
  constructor(
    readonly cookie: string,
    readonly userId: string,
    readonly peerId: string,
  ) {}

  async connect(urls: string[]) {
    this.socket = io(urls[0]!, {
      transports: ["websocket"],
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
      auth: (send) => void call("GET", "/api/auth/session", { cookie: this.cookie }).then((r) => send({ token: r.body.data.accessToken })),
    });
    // What a load balancer does: when an instance is gone, the next connection lands on another.
    let next = 0;
    const moveOn = () => {
      next = (next + 1) % urls.length;
      (this.socket.io as unknown as { uri: string }).uri = urls[next]!;
    };
    this.socket.io.on("reconnect_attempt", moveOn);
    // A graceful stop disconnects from the server side, which Socket.IO does not retry by itself.
    this.socket.on("server:shutdown", ({ reconnectInMs }) => {
      setTimeout(() => {
        moveOn();
        this.socket.connect();
      }, reconnectInMs);
    });
    this.socket.on("message:new", (message) => this.seen.set(message.id, message));
    this.socket.on("connect", () => void this.catchUp());
    await new Promise<void>((resolve) => this.socket.once("connect", () => resolve()));
  }

  async catchUp() {
    for (;;) {
      const last = [...this.seen.values()].sort((a, b) => a.seq - b.seq).at(-1);
      const page = await call("GET", `/api/chat/history?with=${this.peerId}&limit=100${last ? `&after=${last.id}` : ""}`, {
        cookie: this.cookie,
      });
      for (const message of page.body.data.messages as ChatMessage[]) this.seen.set(message.id, message);
      if (page.body.data.messages.length < 100) return;
    }
  }
}

const until = async (check: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};

describe.skipIf(!TEST_REDIS_URL || !HAS_REDIS_SERVER)("two socket servers joined by Redis, with the web app", { timeout: 60_000 }, () => {
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let a: Awaited<ReturnType<typeof startSocketServerProcess>>;
  let b: Awaited<ReturnType<typeof startSocketServerProcess>>;
  let app: Awaited<ReturnType<typeof startTestApp>>;
  const users: SimulatedUser[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    const env = { AUTH_JWT_SECRET: TEST_JWT_SECRET, WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, REDIS_URL: redis.url, LOG_LEVEL: "warn" };
    [a, b] = await Promise.all([startSocketServerProcess(env), startSocketServerProcess(env)]);
    // The web app pushes to instance A only; users of B must get messages through Redis.
    app = await startTestApp({ socketServerUrl: a.url });
  });
  afterAll(async () => {
    for (const user of users) user.socket?.close();
    await app?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it("when users sit on different instances, one instance dies and Redis restarts, then nobody loses a message", async () => {
    const ann = await signIn("ann@cluster.test");
    const bob = await signIn("bob@cluster.test");
    const annView = new SimulatedUser(ann.cookie, ann.userId, bob.userId);
    const bobView = new SimulatedUser(bob.cookie, bob.userId, ann.userId);
    users.push(annView, bobView);
    await annView.connect([a.url, b.url]);
    await bobView.connect([b.url, a.url]);

    const sent: ChatMessage[] = [];
    const send = async (from: typeof ann, to: typeof bob, content: string) => {
      const res = await call("POST", "/api/chat/send", {
        cookie: from.cookie,
        json: { recipientId: to.userId, content, clientId: randomUUID() },
      });
      expect(res.status).toBe(201);
      sent.push(res.body.data);
    };

    // 1. Across instances: A receives the push, Bob on B gets it live.
    for (let i = 0; i < 5; i++) await send(ann, bob, `before ${i}`);
    await until(() => bobView.seen.size === 5);

    // 2. Instance B is killed mid-run; Bob reconnects to A and catches up on what he missed.
    await b.kill();
    for (let i = 0; i < 5; i++) await send(ann, bob, `while B is down ${i}`);
    await until(() => bobView.socket.connected && bobView.seen.size === 10, 20_000);

    // 3. Redis restarts mid-run: pushes sent meanwhile may be lost between instances,
    //    and catch-up on the next reconnect repairs it.
    await redis.stop();
    for (let i = 0; i < 3; i++) await send(bob, ann, `while Redis is down ${i}`);
    await redis.start();
    for (let i = 0; i < 3; i++) await send(ann, bob, `after Redis ${i}`);
    bobView.socket.disconnect().connect();
    annView.socket.disconnect().connect();
    await until(() => bobView.seen.size === sent.length && annView.seen.size === sent.length, 20_000);

    const bySeq = (list: ChatMessage[]) => [...list].sort((x, y) => x.seq - y.seq).map((m) => m.id);
    expect(bySeq([...bobView.seen.values()])).toEqual(bySeq(sent));
    expect(bySeq([...annView.seen.values()])).toEqual(bySeq(sent));
  });
});
