import { spawn } from "node:child_process";
import { request, type ClientRequest } from "node:http";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { ServerShutdownPayload } from "../src/contract/index.js";
import {
  buildPush,
  connectClient,
  JWT_SECRET,
  nextEvent,
  sendPush,
  signPush,
  signToken,
  startServer,
  waitFor,
  WEBHOOK_SECRET,
  type ChatClient,
  type TestServer,
} from "./helpers.js";

/** Starts a push whose body is only half sent, so it stays in flight until `finish()`. */
function startSlowPush(url: string) {
  const body = JSON.stringify(buildPush());
  const half = Math.floor(body.length / 2);
  const req: ClientRequest = request(`${url}/webhooks/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...signPush(body) },
  });
  const response = new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
    req.on("response", (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode, body: text }));
    });
    req.on("error", reject);
  });
  req.write(body.slice(0, half));
  return { response, finish: () => req.end(body.slice(half)) };
}

async function pushesReceived(server: TestServer): Promise<number> {
  return (await server.app.metrics.pushesReceived.get()).values[0]?.value ?? 0;
}

describe("app.shutdown()", () => {
  let server: TestServer;
  let clients: ChatClient[] = [];

  afterEach(async () => {
    for (const client of clients) client.close();
    clients = [];
    await server.close();
  });

  it("when shutdown starts, then sockets get server:shutdown and are disconnected, readyz turns 503, and an in-flight push completes", async () => {
    server = await startServer();
    const socket = await connectClient(server.url, await signToken());
    clients.push(socket);
    const slow = startSlowPush(server.url);
    await waitFor(async () => (await pushesReceived(server)) === 1, { what: "the slow push to arrive" });
    const goodbye = nextEvent(socket, "server:shutdown");
    const disconnected = new Promise<string>((resolve) => socket.once("disconnect", resolve));

    const done = server.app.shutdown({ graceMs: 3_000 });

    const payload: ServerShutdownPayload = await goodbye;
    expect(payload.reconnectInMs).toBeGreaterThanOrEqual(0);
    expect(payload.reconnectInMs).toBeLessThan(5_000);
    expect(await disconnected).toBe("io server disconnect");
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ error: { code: "shutting_down", message: expect.any(String) } });
    // New work goes elsewhere: sockets are refused, new pushes get a retryable 503.
    await expect(connectClient(server.url, await signToken())).rejects.toBeInstanceOf(Error);
    const late = await sendPush(server.url, buildPush());
    expect(late.status).toBe(503);
    expect(await late.json()).toEqual({ error: { code: "unavailable", message: expect.any(String) } });

    slow.finish();
    const response = await slow.response;
    expect(response.status).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ data: { delivered: true } });
    await done;
    expect(server.app.httpServer.listening).toBe(false);
  });

  it("when an in-flight push outlasts the grace period, then shutdown cuts it and still completes", async () => {
    server = await startServer();
    const slow = startSlowPush(server.url);
    await waitFor(async () => (await pushesReceived(server)) === 1, { what: "the slow push to arrive" });

    await server.app.shutdown({ graceMs: 100 });

    await expect(slow.response).rejects.toThrow();
    expect(server.app.httpServer.listening).toBe(false);
  });
});

describe("the server process", () => {
  it("when it gets SIGTERM, then it tells sockets to reconnect, logs JSON, and exits 0", { timeout: 40_000 }, async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", "src/index.ts"], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      env: {
        ...process.env,
        NODE_ENV: "test",
        SOCKET_HOST: "127.0.0.1",
        SOCKET_PORT: String(port),
        AUTH_JWT_SECRET: JWT_SECRET,
        WEBHOOK_SECRET,
        REDIS_URL: "",
        LOG_LEVEL: "info",
        LOG_PRETTY: "0",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitFor(
        () =>
          fetch(`${url}/healthz`).then(
            (response) => response.ok,
            () => false,
          ),
        {
          timeoutMs: 30_000,
          what: `the server process to listen\n${output}`,
        },
      );
      const socket = await connectClient(url, await signToken({ sub: randomUUID() }));
      const goodbye = nextEvent(socket, "server:shutdown");

      child.kill("SIGTERM");

      await goodbye;
      socket.close();
      const [code] = await exited;
      expect(code).toBe(0);
      const lines = output
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { msg: string; level: number });
      expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(["listening", "shutting down", "shutdown complete"]));
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || !address) throw new Error("no port");
  return address.port;
}
