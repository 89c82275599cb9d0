import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import type { ChatMessage } from "../lib/types";
import { startPushGate, type PushGate } from "./support/push-gate";
import { sendApi, signInApi, type ApiUser } from "./support/seed";
import { callApi } from "./support/node-chat";
import { getFreePort, startStack, type Stack } from "./support/stack";

/**
 * The push outbox through the real processes (production build + socket server): a web app
 * killed between the commit and the push, and a socket tier down for two minutes. A gate in
 * front of the socket server's webhook holds or refuses pushes; clients connect straight to
 * the socket server, as browsers do.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 100) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await sleep(stepMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

interface Listener {
  socket: Socket;
  /** message:new events in arrival order. */
  messages: ChatMessage[];
  connects: number;
}

async function listen(stack: Stack, user: ApiUser): Promise<Listener> {
  const session = await callApi<{ accessToken: string }>(user.http, "/api/auth/session");
  const socket = io(stack.socketUrl, { auth: { token: session.accessToken }, transports: ["websocket"], reconnectionDelayMax: 1_000 });
  const listener: Listener = { socket, messages: [], connects: 0 };
  socket.on("connect", () => (listener.connects += 1));
  socket.on("message:new", (message: ChatMessage) => listener.messages.push(message));
  // A server that shuts down disconnects its sockets itself, which socket.io-client does not
  // retry on its own; the page reconnects after server:shutdown, and so does this listener.
  socket.on("disconnect", (reason) => {
    if (reason === "io server disconnect") setTimeout(() => socket.connect(), 500);
  });
  await waitFor("the socket to connect", () => socket.connected, 10_000);
  return listener;
}

describe("push outbox through the real processes", () => {
  let stack: Stack;
  let gate: PushGate;
  let ann: ApiUser;
  let bob: ApiUser;
  let bobSocket: Listener;

  beforeAll(async () => {
    const socketPort = await getFreePort();
    gate = await startPushGate(`http://127.0.0.1:${socketPort}`);
    stack = await startStack({ socketPort, pushUrl: gate.url });
    ann = await signInApi(stack.baseUrl, "ann-outbox@example.com");
    bob = await signInApi(stack.baseUrl, "bob-outbox@example.com");
    bobSocket = await listen(stack, bob);
  });
  afterEach(({ task }) => {
    if (task.result?.state === "fail") console.error(stack.logs());
  });
  afterAll(async () => {
    bobSocket?.socket.close();
    await stack?.stop();
    await gate?.close();
  });

  it(
    "when the web app is killed -9 between the commit and the push, then after its restart the connected recipient gets the message live",
    { timeout: 150_000 },
    async () => {
      gate.mode = "hold";
      const message = await sendApi(ann, bob, "survives a crash of the web app");
      // Committed (201), and its push is in flight: held at the gate, never seen by the socket server.
      await waitFor("the push to be in flight", () => gate.held >= 1, 10_000);
      await stack.web.kill();
      expect(bobSocket.messages.map((m) => m.id)).not.toContain(message.id);

      gate.mode = "pass";
      await stack.web.start();
      // The restarted process sweeps the outbox once the crashed process's lease runs out.
      await waitFor("the message to arrive live", () => bobSocket.messages.some((m) => m.id === message.id), 90_000);
      expect(bobSocket.messages.find((m) => m.id === message.id)).toEqual(message);
      // Live, on the same connection: never reconnected.
      expect(bobSocket.connects).toBe(1);
      expect(bobSocket.socket.connected).toBe(true);
    },
  );

  it(
    "when the socket tier is down for 2 minutes while messages are sent, then once it is back every message is pushed, none twice",
    { timeout: 360_000 },
    async () => {
      const before = bobSocket.messages.length;
      gate.mode = "refuse";
      await stack.socket.stop();
      const sent: ChatMessage[] = [];
      const downUntil = Date.now() + 120_000;
      // One message every 2 s for 2 minutes (well under the send limit).
      while (Date.now() < downUntil) {
        sent.push(await sendApi(ann, bob, `while the socket tier is down #${sent.length + 1}`));
        await sleep(2_000);
      }
      expect(sent.length).toBeGreaterThanOrEqual(55);

      await stack.socket.start();
      await waitFor("bob to reconnect", () => bobSocket.socket.connected, 30_000);
      gate.mode = "pass";
      await waitFor("every message pushed", () => sent.every((m) => bobSocket.messages.some((got) => got.id === m.id)), 90_000, 250);
      // A sentinel sent afterwards: once it arrives, any late duplicate before it would have too.
      const sentinel = await sendApi(ann, bob, "sentinel");
      await waitFor("the sentinel", () => bobSocket.messages.some((m) => m.id === sentinel.id), 30_000);
      const arrived = bobSocket.messages.slice(before).map((m) => m.id);
      const counts = new Map<string, number>();
      for (const id of arrived) counts.set(id, (counts.get(id) ?? 0) + 1);
      expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
      expect(sent.filter((m) => !counts.has(m.id))).toEqual([]);
      // In order within the conversation.
      const seqs = arrived.filter((id) => id !== sentinel.id).map((id) => sent.find((m) => m.id === id)!.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    },
  );
});
