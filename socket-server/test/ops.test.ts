import { request } from "node:http";
import { randomUUID } from "node:crypto";
import { RateLimiterMemory } from "rate-limiter-flexible";
import { io as connect, type Socket as UntypedClient } from "socket.io-client";
import type { Socket as UntypedServerSocket } from "socket.io";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import {
  buildPush,
  connectClient,
  nextEvent,
  postPush,
  sendPush,
  signPush,
  signToken,
  startServer,
  type ChatClient,
  type TestServer,
} from "./helpers.js";

let servers: TestServer[] = [];
let clients: Array<{ close(): unknown }> = [];

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

async function connectAs(server: TestServer, userId = randomUUID()): Promise<ChatClient> {
  const socket = await connectClient(server.url, await signToken({ sub: userId }));
  clients.push(socket);
  return socket;
}

describe("GET /readyz", () => {
  it("when no dependency is configured, then it answers 200 ready", async () => {
    const server = await start();

    const response = await fetch(`${server.url}/readyz`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { ready: true } });
  });

  it("when a dependency check fails, then it answers 503 unavailable naming it", async () => {
    const server = await start({}, { readinessChecks: { redis: () => Promise.reject(new Error("down")) } });

    const response = await fetch(`${server.url}/readyz`);

    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      error: { code: "unavailable", message: expect.stringContaining("redis"), details: [{ dependency: "redis" }] },
    });
  });
});

describe("GET /metrics", () => {
  function metricValue(text: string, series: string): number | undefined {
    const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  }

  it("when pushes are delivered, refused and repeated, then the counters, the emit histogram and the socket gauge show it", async () => {
    const server = await start();
    await connectAs(server);
    const push = buildPush();
    const id = `msg_${push.data.id}`;

    expect((await sendPush(server.url, push, { id })).status).toBe(202);
    expect((await sendPush(server.url, push, { id })).status).toBe(200);
    expect((await sendPush(server.url, push, { secret: `whsec_${Buffer.alloc(32, 1).toString("base64")}` })).status).toBe(401);
    const response = await fetch(`${server.url}/metrics`);
    const text = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(metricValue(text, "socket_server_pushes_received_total")).toBe(3);
    expect(metricValue(text, "socket_server_pushes_duplicate_total")).toBe(1);
    expect(metricValue(text, 'socket_server_pushes_rejected_total{reason="signature"}')).toBe(1);
    expect(metricValue(text, 'socket_server_pushes_rejected_total{reason="unavailable"}')).toBe(0);
    expect(metricValue(text, "socket_server_push_emit_seconds_count")).toBe(1);
    expect(metricValue(text, "socket_server_connected_sockets")).toBe(1);
    expect(text).toContain("nodejs_eventloop_lag_seconds");
    expect(text).toContain("process_resident_memory_bytes");
  });

  it("when METRICS_TOKEN is configured, then only the right bearer token gets the metrics", async () => {
    const token = "metrics-token-0123456789";
    const server = await start({ metricsToken: token });
    const get = (authorization?: string) => fetch(`${server.url}/metrics`, { headers: authorization ? { authorization } : {} });

    const [none, wrong, right] = await Promise.all([get(), get("Bearer metrics-token-wrong"), get(`Bearer ${token}`)]);

    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
    expect(wrong.status).toBe(401);
    expect(right.status).toBe(200);
    expect(await right.text()).toContain("socket_server_pushes_received_total");
  });
});

describe("origin allow-list", () => {
  /** A raw Engine.IO polling handshake, so the test controls the Origin header exactly. */
  function handshake(server: TestServer, origin?: string): Promise<number | undefined> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${server.url}/socket.io/?EIO=4&transport=polling`,
        { headers: origin === undefined ? {} : { origin } },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on("error", reject);
      req.end();
    });
  }

  it("when the Origin header is not an allowed web origin, then the handshake is refused with 403", async () => {
    const server = await start();

    expect(await handshake(server, "https://evil.example")).toBe(403);
    expect(await handshake(server, "null")).toBe(403);
  });

  it("when the Origin header is allowed or absent, then the handshake proceeds", async () => {
    const server = await start();

    expect(await handshake(server, "http://localhost:3000")).toBe(200);
    expect(await handshake(server)).toBe(200);
  });

  it("when a WebSocket client sends a foreign Origin, then it cannot connect even with a valid token", async () => {
    const server = await start();
    const token = await signToken();
    const connectWithOrigin = (origin: string) => {
      const socket: UntypedClient = connect(server.url, {
        auth: { token },
        transports: ["websocket"],
        reconnection: false,
        forceNew: true,
        extraHeaders: { origin },
      });
      clients.push(socket);
      return new Promise<string>((resolve) => {
        socket.once("connect", () => resolve("connected"));
        socket.once("connect_error", (error) => resolve(`refused: ${error.message}`));
      });
    };

    expect(await connectWithOrigin("https://evil.example")).toMatch(/^refused/);
    expect(await connectWithOrigin("http://localhost:3000")).toBe("connected");
  });
});

describe("per-socket rate limit", () => {
  it("when a socket sends more events than allowed, then the extra event is dropped and the socket gets error:rate_limited", async () => {
    const server = await start({}, { rateLimiter: new RateLimiterMemory({ points: 2, duration: 10 }) });
    let handled = 0;
    // No client events exist yet: a dummy one, with an ack so the client knows it was handled.
    server.app.io.on("connection", (socket) => {
      (socket as unknown as UntypedServerSocket).on("test:ping", (ack: (reply: string) => void) => {
        handled += 1;
        ack("pong");
      });
    });
    const socket = (await connectAs(server)) as unknown as UntypedClient;

    expect(await socket.emitWithAck("test:ping")).toBe("pong");
    expect(await socket.emitWithAck("test:ping")).toBe("pong");
    const limited = nextEvent(socket as unknown as ChatClient, "error:rate_limited");
    socket.emit("test:ping", () => {});
    const payload = await limited;

    expect(payload.event).toBe("test:ping");
    expect(payload.retryAfterMs).toBeGreaterThan(0);
    expect(payload.retryAfterMs).toBeLessThanOrEqual(10_000);
    expect(handled).toBe(2);
  });
});

describe("request logs", () => {
  it("when requests are served, then each gets one JSON line with method, path, status and duration, and no secret or content", async () => {
    const output: string[] = [];
    const logger = createLogger({ level: "debug", destination: { write: (line: string) => void output.push(line) } });
    const server = await start({}, { logger });
    const token = await signToken();
    clients.push(await connectClient(server.url, token));
    const push = buildPush({ content: "a very private message" });
    const body = JSON.stringify(push);
    const headers = signPush(body);

    expect((await postPush(server.url, body, headers)).status).toBe(202);
    await fetch(`${server.url}/nope?token=${token}`);

    const lines = output.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = lines.filter((line) => line.msg === "http request");
    expect(requests).toEqual([
      expect.objectContaining({
        method: "POST",
        path: "/webhooks/messages",
        status: 202,
        durationMs: expect.any(Number),
        webhookId: headers["webhook-id"],
      }),
      expect.objectContaining({ method: "GET", path: "/nope", status: 404 }),
    ]);
    const text = output.join("");
    expect(text).not.toContain(token);
    expect(text).not.toContain(headers["webhook-signature"].slice(3));
    expect(text).not.toContain("a very private message");
  });
});
