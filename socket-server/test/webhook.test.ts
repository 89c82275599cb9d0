import { randomBytes, randomUUID } from "node:crypto";
import { request } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_PUSH_BYTES, type ChatMessage, type MessagePush } from "../src/contract/index.js";
import { createMemorySeenIdStore } from "../src/webhook.js";
import {
  buildPush,
  collectMessages,
  connectClient,
  hmacSignature,
  newWebhookSecret,
  nextMessage,
  postPush,
  signPush,
  signToken,
  startServer,
  WEBHOOK_SECRET,
  type ChatClient,
  type SignOptions,
  type TestServer,
} from "./helpers.js";

describe("POST /webhooks/messages", () => {
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

  async function connectAs(userId: string): Promise<{ socket: ChatClient; received: ChatMessage[] }> {
    const socket = await connectClient(server.url, await signToken({ sub: userId }));
    clients.push(socket);
    return { socket, received: collectMessages(socket) };
  }

  function send(push: MessagePush, options?: SignOptions): Promise<Response> {
    const body = JSON.stringify(push);
    return postPush(server.url, body, signPush(body, options));
  }

  /**
   * Returns what `socket` had received before now, without sleeping: Socket.IO keeps
   * order per connection, so anything emitted earlier arrives before a later sentinel push.
   */
  async function receivedSoFar(socket: ChatClient, received: ChatMessage[], userId: string) {
    const sentinel = buildPush({ recipientId: userId, content: "sentinel" });
    const arrived = nextMessage(socket);
    expect((await send(sentinel)).status).toBe(202);
    expect(await arrived).toEqual(sentinel.data);
    return received.slice(0, -1);
  }

  async function expectRejectedAndNotEmitted(
    response: Response,
    recipient: { socket: ChatClient; received: ChatMessage[] },
    recipientId: string,
  ) {
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: { code: "invalid_signature", message: expect.any(String) },
    });
    expect(await receivedSoFar(recipient.socket, recipient.received, recipientId)).toEqual([]);
  }

  it("when a valid push arrives, then the recipient and the sender's other socket get it and a third user does not", async () => {
    const [senderId, recipientId, thirdId] = [randomUUID(), randomUUID(), randomUUID()];
    const recipient = await connectAs(recipientId);
    const senderOtherTab = await connectAs(senderId);
    const third = await connectAs(thirdId);
    const push = buildPush({ senderId, recipientId });

    const [response, toRecipient, toSender] = await Promise.all([
      send(push),
      nextMessage(recipient.socket),
      nextMessage(senderOtherTab.socket),
    ]);

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ data: { delivered: true } });
    expect(toRecipient).toEqual(push.data);
    expect(toSender).toEqual(push.data);
    expect(await receivedSoFar(third.socket, third.received, thirdId)).toEqual([]);
    expect(await receivedSoFar(recipient.socket, recipient.received, recipientId)).toEqual([push.data]);
  });

  it("when a user messages themselves, then each of their sockets gets the message once", async () => {
    const userId = randomUUID();
    const user = await connectAs(userId);
    const push = buildPush({ senderId: userId, recipientId: userId });

    expect((await send(push)).status).toBe(202);

    expect(await receivedSoFar(user.socket, user.received, userId)).toEqual([push.data]);
  });

  it("when the push is signed with an unknown secret, then it is refused with 401 and nothing is emitted", async () => {
    const recipientId = randomUUID();
    const recipient = await connectAs(recipientId);

    const response = await send(buildPush({ recipientId }), { secret: newWebhookSecret() });

    await expectRejectedAndNotEmitted(response, recipient, recipientId);
  });

  it("when the push carries no signature headers, then it is refused with 401 and nothing is emitted", async () => {
    const recipientId = randomUUID();
    const recipient = await connectAs(recipientId);

    const response = await postPush(server.url, JSON.stringify(buildPush({ recipientId })), {});

    await expectRejectedAndNotEmitted(response, recipient, recipientId);
  });

  it("when the timestamp is 6 minutes old, then it is refused with 401 and nothing is emitted", async () => {
    const recipientId = randomUUID();
    const recipient = await connectAs(recipientId);

    const response = await send(buildPush({ recipientId }), { timestamp: new Date(Date.now() - 6 * 60_000) });

    await expectRejectedAndNotEmitted(response, recipient, recipientId);
  });

  it("when the timestamp is 6 minutes in the future, then it is refused with 401 and nothing is emitted", async () => {
    const recipientId = randomUUID();
    const recipient = await connectAs(recipientId);

    const response = await send(buildPush({ recipientId }), { timestamp: new Date(Date.now() + 6 * 60_000) });

    await expectRejectedAndNotEmitted(response, recipient, recipientId);
  });

  it("when the timestamp header is not plain seconds, then it is refused with 401", async () => {
    const body = JSON.stringify(buildPush());
    const headers = signPush(body);

    const response = await postPush(server.url, body, { ...headers, "webhook-timestamp": `${headers["webhook-timestamp"]}abc` });

    expect(response.status).toBe(401);
  });

  it("when the body is changed after signing, then it is refused with 401 and nothing is emitted", async () => {
    const recipientId = randomUUID();
    const recipient = await connectAs(recipientId);
    const push = buildPush({ recipientId });
    const headers = signPush(JSON.stringify(push));

    const tampered = JSON.stringify({ ...push, data: { ...push.data, content: "tampered" } });
    const response = await postPush(server.url, tampered, headers);

    await expectRejectedAndNotEmitted(response, recipient, recipientId);
  });

  it("when a raw HMAC is forged with a key that is not configured, then it is refused with 401", async () => {
    const body = JSON.stringify(buildPush());
    const seconds = Math.floor(Date.now() / 1000);

    const response = await postPush(server.url, body, {
      "webhook-id": "msg_forged",
      "webhook-timestamp": String(seconds),
      "webhook-signature": hmacSignature(randomBytes(32), "msg_forged", seconds, body),
    });

    expect(response.status).toBe(401);
  });

  it("when a raw HMAC uses the configured key, then it is accepted (the wire format is plain Standard Webhooks)", async () => {
    const body = JSON.stringify(buildPush());
    const seconds = Math.floor(Date.now() / 1000);
    const key = Buffer.from(WEBHOOK_SECRET.slice("whsec_".length), "base64");

    const response = await postPush(server.url, body, {
      "webhook-id": "msg_raw",
      "webhook-timestamp": String(seconds),
      "webhook-signature": `v1,bm90LXRoaXMtb25l ${hmacSignature(key, "msg_raw", seconds, body)}`,
    });

    expect(response.status).toBe(202);
  });

  it("when the same webhook-id is pushed twice, then the second gets 200 duplicate and the message is emitted once", async () => {
    const recipientId = randomUUID();
    const recipient = await connectAs(recipientId);
    const push = buildPush({ recipientId });
    const id = `msg_${randomUUID()}`;

    const first = await send(push, { id });
    const second = await send(push, { id });

    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ data: { duplicate: true } });
    expect(await receivedSoFar(recipient.socket, recipient.received, recipientId)).toEqual([push.data]);
  });

  it("when the dedupe store cannot answer, then it answers 503 unavailable, emits nothing, and a retry is delivered", async () => {
    const memory = createMemorySeenIdStore();
    let storeDown = true;
    await server.close();
    server = await startServer(
      {},
      {
        seenIds: {
          markSeen: (id) => (storeDown ? Promise.reject(new Error("Redis is not connected")) : memory.markSeen(id)),
          markSeenMany: (ids) => (storeDown ? Promise.reject(new Error("Redis is not connected")) : memory.markSeenMany(ids)),
        },
      },
    );
    const recipientId = randomUUID();
    const recipient = await connectAs(recipientId);
    const push = buildPush({ recipientId });
    const id = `msg_${push.data.id}`;

    const refused = await send(push, { id });

    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toEqual({ error: { code: "unavailable", message: expect.any(String) } });
    storeDown = false;
    expect((await send(push, { id })).status).toBe(202);
    expect(await receivedSoFar(recipient.socket, recipient.received, recipientId)).toEqual([push.data]);
  });

  it("when two secrets are configured, then a push signed with the second is accepted", async () => {
    const [current, next] = [newWebhookSecret(), newWebhookSecret()];
    await server.close();
    server = await startServer({ webhookSecrets: [current, next] });
    const recipientId = randomUUID();
    const recipient = await connectAs(recipientId);
    const push = buildPush({ recipientId });

    const [response, message] = await Promise.all([send(push, { secret: next }), nextMessage(recipient.socket)]);

    expect(response.status).toBe(202);
    expect(message).toEqual(push.data);
  });

  it("when a validly signed body is not a message.created push, then it answers 422 with the issues", async () => {
    const push = buildPush();
    const body = JSON.stringify({ type: "message.created", data: { ...push.data, senderId: "nope", seq: 0, content: "" } });

    const response = await postPush(server.url, body, signPush(body));

    expect(response.status).toBe(422);
    const json = (await response.json()) as { error: { code: string; details: Array<{ path: string }> } };
    expect(json.error.code).toBe("invalid_payload");
    expect(json.error.details.map((issue) => issue.path).sort()).toEqual(["data.content", "data.senderId", "data.seq"]);
  });

  it("when a validly signed body is not JSON, then it answers 422, not 500", async () => {
    const body = '{"type":"message.created",';

    const response = await postPush(server.url, body, signPush(body));

    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ error: { code: "invalid_payload", message: "Body is not valid JSON" } });
  });

  it("when the body is larger than the limit, then it answers 413", async () => {
    const body = JSON.stringify(buildPush({ content: "x".repeat(MAX_PUSH_BYTES) }));

    const response = await postPush(server.url, body, signPush(body));

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: { code: "payload_too_large", message: expect.any(String) } });
  });

  it("when an oversized signed body is not a valid push either, then the size decides: 413, not 422", async () => {
    const body = JSON.stringify({ type: "read.updated", pad: "x".repeat(MAX_PUSH_BYTES) });

    const response = await postPush(server.url, body, signPush(body));

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: { code: "payload_too_large", message: expect.any(String) } });
  });

  it("when an oversized body is streamed without a content-length, then it still answers 413", async () => {
    const body = JSON.stringify(buildPush({ content: "x".repeat(MAX_PUSH_BYTES) }));
    const url = new URL("/webhooks/messages", server.url);

    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(url, { method: "POST", headers: { ...signPush(body), "transfer-encoding": "chunked" } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on("error", reject);
      for (let offset = 0; offset < body.length; offset += 8192) req.write(body.slice(offset, offset + 8192));
      req.end();
    });

    expect(status).toBe(413);
  });

  it("when a body is rejected, then the server keeps answering", async () => {
    await postPush(server.url, "x".repeat(MAX_PUSH_BYTES + 1), signPush("x"));
    await postPush(server.url, "not json", signPush("not json"));

    const response = await fetch(`${server.url}/healthz`);

    expect(response.status).toBe(200);
  });
});
