import { randomUUID } from "node:crypto";
import { request } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_BATCH_BYTES, MAX_BATCH_ITEMS, MAX_PUSH_BYTES, type BatchItem, type ChatMessage } from "../src/contract/index.js";
import { buildMessage } from "../src/contract/testing.js";
import {
  buildPush,
  collectMessages,
  connectClient,
  newWebhookSecret,
  nextEvent,
  nextMessage,
  postPush,
  sendPush,
  signPush,
  signToken,
  startServer,
  waitFor,
  type ChatClient,
  type SignOptions,
  type TestServer,
} from "./helpers.js";

const messageItem = (message: ChatMessage): BatchItem => ({ id: `msg_${message.id}`, type: "message.created", data: message });
const batchBody = (items: unknown[]) => JSON.stringify({ type: "batch", data: items });

describe("POST /webhooks/messages with a batch", () => {
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

  async function connectAs(userId: string, sessionId = randomUUID()) {
    const socket = await connectClient(server.url, await signToken({ sub: userId, session_id: sessionId }));
    clients.push(socket);
    return { socket, received: collectMessages(socket) };
  }

  function sendBatch(items: unknown[], options?: SignOptions) {
    const body = batchBody(items);
    return postPush(server.url, body, signPush(body, { id: `batch_${randomUUID()}`, ...options }));
  }

  /** What `received` held before a later sentinel push arrived: Socket.IO keeps order per connection. */
  async function receivedBeforeSentinel(socket: ChatClient, received: ChatMessage[], userId: string) {
    const sentinel = buildPush({ recipientId: userId, content: "sentinel" });
    const arrived = nextMessage(socket);
    expect((await sendPush(server.url, sentinel)).status).toBe(202);
    expect(await arrived).toEqual(sentinel.data);
    return received.slice(0, -1);
  }

  it("when a batch of messages arrives, then each recipient gets theirs in order and the answer counts them", async () => {
    const [ann, bob] = [randomUUID(), randomUUID()];
    const annClient = await connectAs(ann);
    const bobClient = await connectAs(bob);
    const messages = [
      buildMessage({ recipientId: ann, seq: 1 }),
      buildMessage({ recipientId: bob }),
      buildMessage({ recipientId: ann, seq: 2 }),
    ];

    const response = await sendBatch(messages.map(messageItem));

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ data: { delivered: 3, duplicates: 0 } });
    expect(await receivedBeforeSentinel(annClient.socket, annClient.received, ann)).toEqual([messages[0], messages[2]]);
    expect(await receivedBeforeSentinel(bobClient.socket, bobClient.received, bob)).toEqual([messages[1]]);
  });

  it("when a batch mixes messages, read positions and a sign-out, then each is delivered as its single push would be", async () => {
    const [ann, bob] = [randomUUID(), randomUUID()];
    const session = randomUUID();
    const annClient = await connectAs(ann, session);
    const bobClient = await connectAs(bob);
    const message = buildMessage({ senderId: bob, recipientId: ann });
    const read = { conversationId: message.conversationId, userId: ann, peerId: bob, lastReadSeq: 1 };
    const readSeen = nextEvent(bobClient.socket, "read:updated");
    const signedOut = nextEvent(annClient.socket, "auth:error");

    const response = await sendBatch([
      messageItem(message),
      { id: `read_${randomUUID()}`, type: "read.updated", data: read },
      { id: `revoke_${randomUUID()}`, type: "session.revoked", data: { userId: ann, sessionId: session } },
    ]);

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ data: { delivered: 3, duplicates: 0 } });
    expect(await readSeen).toEqual(read);
    expect(await signedOut).toEqual({ code: "signed_out" });
    expect(annClient.received).toEqual([message]);
  });

  it("when items repeat (within a batch, across batches, and after a single push of the same id), then each is emitted once", async () => {
    const ann = randomUUID();
    const client = await connectAs(ann);
    const [first, second, third] = [
      buildMessage({ recipientId: ann }),
      buildMessage({ recipientId: ann }),
      buildMessage({ recipientId: ann }),
    ];
    expect((await sendPush(server.url, { type: "message.created", data: first }, { id: `msg_${first.id}` })).status).toBe(202);

    const one = await sendBatch([messageItem(first), messageItem(second), messageItem(second)]);
    const two = await sendBatch([messageItem(second), messageItem(third)]);

    expect(await one.json()).toEqual({ data: { delivered: 1, duplicates: 2 } });
    expect(await two.json()).toEqual({ data: { delivered: 1, duplicates: 1 } });
    expect(await receivedBeforeSentinel(client.socket, client.received, ann)).toEqual([first, second, third]);
  });

  it("when a signed batch is replayed with its own headers, then nothing is emitted again", async () => {
    const ann = randomUUID();
    const client = await connectAs(ann);
    const message = buildMessage({ recipientId: ann });
    const body = batchBody([messageItem(message)]);
    const headers = signPush(body, { id: "batch_replayed" });

    expect((await postPush(server.url, body, headers)).status).toBe(202);
    const replay = await postPush(server.url, body, headers);

    expect(replay.status).toBe(202);
    expect(await replay.json()).toEqual({ data: { delivered: 0, duplicates: 1 } });
    expect(await receivedBeforeSentinel(client.socket, client.received, ann)).toEqual([message]);
  });

  const forgeries: Array<[string, (body: string) => { body: string; headers: Record<string, string> }]> = [
    ["signed with an unknown secret", (body) => ({ body, headers: signPush(body, { secret: newWebhookSecret() }) })],
    [
      "signed 6 minutes ago (a late replay)",
      (body) => ({ body, headers: signPush(body, { timestamp: new Date(Date.now() - 6 * 60_000) }) }),
    ],
    ["signed 6 minutes ahead", (body) => ({ body, headers: signPush(body, { timestamp: new Date(Date.now() + 6 * 60_000) }) })],
    [
      "changed after signing (an item added)",
      (body) => ({ body: body.replace('"data":[', `"data":[${JSON.stringify(messageItem(buildMessage()))},`), headers: signPush(body) }),
    ],
    ["signed for another webhook-id", (body) => ({ body, headers: { ...signPush(body, { id: "batch_a" }), "webhook-id": "batch_b" } })],
    [
      "without a signature",
      (body) => ({ body, headers: { "webhook-id": "batch_x", "webhook-timestamp": String(Math.floor(Date.now() / 1000)) } }),
    ],
  ];

  it.each(forgeries)("when a batch is %s, then it is refused with 401 and nothing is emitted", async (_case, forge) => {
    const ann = randomUUID();
    const client = await connectAs(ann);
    const { body, headers } = forge(batchBody([messageItem(buildMessage({ recipientId: ann }))]));

    const response = await postPush(server.url, body, headers);

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: "invalid_signature", message: expect.any(String) } });
    expect(await receivedBeforeSentinel(client.socket, client.received, ann)).toEqual([]);
  });

  it("when one item of a signed batch is invalid, then the batch is refused with 422 naming it, and nothing is emitted", async () => {
    const ann = randomUUID();
    const client = await connectAs(ann);
    const good = messageItem(buildMessage({ recipientId: ann }));
    const bad = { ...messageItem(buildMessage({ recipientId: ann })), data: { ...buildMessage(), seq: 0 } };

    const response = await sendBatch([good, bad, { id: "", type: "user.deleted", data: {} }]);

    expect(response.status).toBe(422);
    const json = (await response.json()) as { error: { code: string; details: Array<{ path: string }> } };
    expect(json.error.code).toBe("invalid_payload");
    expect(json.error.details.map((issue) => issue.path)).toEqual(expect.arrayContaining(["data.1.data.seq", "data.2.type"]));
    expect(await receivedBeforeSentinel(client.socket, client.received, ann)).toEqual([]);
  });

  it(`when a batch holds more than ${MAX_BATCH_ITEMS} items or none, then it answers 422`, async () => {
    const tooMany = Array.from({ length: MAX_BATCH_ITEMS + 1 }, () => messageItem(buildMessage()));

    expect((await sendBatch(tooMany)).status).toBe(422);
    expect((await sendBatch([])).status).toBe(422);
  });

  it(`when ${MAX_BATCH_ITEMS} items arrive in one batch, then all are delivered`, async () => {
    const ann = randomUUID();
    const client = await connectAs(ann);
    const messages = Array.from({ length: MAX_BATCH_ITEMS }, (_, index) => buildMessage({ recipientId: ann, seq: index + 1 }));

    const response = await sendBatch(messages.map(messageItem));

    expect(await response.json()).toEqual({ data: { delivered: MAX_BATCH_ITEMS, duplicates: 0 } });
    await waitFor(() => client.received.length === MAX_BATCH_ITEMS, { what: "every message" });
    expect(client.received.map((message) => message.seq)).toEqual(messages.map((message) => message.seq));
  });

  it("when a batch body passes 1 MiB, streamed without a content-length, then it answers 413 and the server keeps answering", async () => {
    const content = "x".repeat(60_000);
    const items = Array.from({ length: Math.ceil(MAX_BATCH_BYTES / content.length) + 1 }, () => messageItem(buildMessage({ content })));
    const body = batchBody(items);
    expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_BATCH_BYTES);

    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(
        new URL("/webhooks/messages", server.url),
        { method: "POST", headers: { ...signPush(body), "transfer-encoding": "chunked" } },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on("error", reject);
      for (let offset = 0; offset < body.length; offset += 65_536) req.write(body.slice(offset, offset + 65_536));
      req.end();
    });

    expect(status).toBe(413);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("when a batch body declares more than 1 MiB, then it answers 413 without reading it", async () => {
    const response = await fetch(`${server.url}/webhooks/messages`, {
      method: "POST",
      headers: { ...signPush("{}"), "content-type": "application/json", "content-length": String(MAX_BATCH_BYTES + 1) },
      body: "x".repeat(MAX_BATCH_BYTES + 1),
    });

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: { code: "payload_too_large", message: expect.any(String) } });
  });

  it("when a batch is larger than a single push may be, then it is still accepted (up to 1 MiB)", async () => {
    const ann = randomUUID();
    const client = await connectAs(ann);
    const messages = Array.from({ length: 4 }, () => buildMessage({ recipientId: ann, content: "y".repeat(30_000) }));
    expect(Buffer.byteLength(batchBody(messages.map(messageItem)))).toBeGreaterThan(MAX_PUSH_BYTES);

    const response = await sendBatch(messages.map(messageItem));

    expect(await response.json()).toEqual({ data: { delivered: 4, duplicates: 0 } });
    await waitFor(() => client.received.length === 4, { what: "four messages" });
  });
});
