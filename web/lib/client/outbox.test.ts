import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChatMessage } from "@/lib/types";
import { buildChatMessage } from "@/lib/chat/test-support";
import { ApiError, parseRetryAfter } from "./api";
import {
  classifySendError,
  createMemoryStorage,
  createOutbox,
  outboxKeyPrefix,
  retryDelay,
  sendInputOf,
  type OutboxItem,
  type OutboxOptions,
  type OutboxStorage,
} from "./outbox";

const ME = "00000000-0000-4000-8000-000000000001";
const PEER = "00000000-0000-4000-8000-000000000002";
const OTHER = "00000000-0000-4000-8000-000000000003";
const SOMEONE_ELSE = "00000000-0000-4000-8000-000000000009";
const GROUP = "00000000-0000-4000-8000-0000000000c1";

type Answer = ChatMessage | ApiError | Error;

/** A fake POST /api/chat/send: answers from a script, then stores; records every call. */
function buildServer() {
  const calls: OutboxItem[] = [];
  const stored = new Map<string, ChatMessage>();
  const script: Array<(item: OutboxItem) => Answer | undefined> = [];
  let seq = 0;
  const send = async (item: OutboxItem): Promise<ChatMessage> => {
    calls.push(item);
    const scripted = script.shift()?.(item);
    if (scripted instanceof Error) throw scripted;
    if (scripted) return scripted;
    const existing = stored.get(item.clientId);
    if (existing) return existing;
    const message = buildChatMessage({
      senderId: ME,
      recipientId: item.recipientId,
      ...(item.conversationId !== null && { conversationId: item.conversationId }),
      content: item.content,
      clientId: item.clientId,
      seq: ++seq,
    });
    stored.set(item.clientId, message);
    return message;
  };
  return { calls, stored, script, send };
}

const networkError = () => new ApiError(0, "network_error", "Could not reach the server.");

function buildOutbox(overrides: Partial<OutboxOptions> & { storage?: OutboxStorage } = {}) {
  const server = buildServer();
  const sent: ChatMessage[] = [];
  const outbox = createOutbox({
    userId: ME,
    storage: createMemoryStorage(),
    send: server.send,
    onSent: (message) => sent.push(message),
    random: () => 1, // the top of each jitter range: delays are exact
    ...overrides,
  });
  return { outbox, server, sent };
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date("2026-01-01T12:00:00Z") });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("retryDelay", () => {
  it("when attempts grow, then the delay doubles from 1 s up to 30 s, with 50–100% jitter", () => {
    const top = [1, 2, 3, 4, 5, 6, 7, 12].map((attempt) => retryDelay(attempt, () => 1));
    expect(top).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    const bottom = [1, 2, 6].map((attempt) => retryDelay(attempt, () => 0));
    expect(bottom).toEqual([500, 1_000, 15_000]);
  });
});

describe("classifySendError", () => {
  it("when the failure is transient, then it is retried; when the server refuses the message, then it is not", () => {
    expect(classifySendError(networkError()).kind).toBe("network");
    expect(classifySendError(new ApiError(0, "timeout", "slow")).kind).toBe("network");
    expect(classifySendError(new ApiError(503, "unavailable", "down")).kind).toBe("server");
    expect(classifySendError(new ApiError(500, "internal_error", "oops")).kind).toBe("server");
    expect(classifySendError(new ApiError(429, "rate_limited", "slow down", undefined, 7_000))).toEqual({
      kind: "rate_limited",
      message: "slow down",
      retryAfterMs: 7_000,
    });
    expect(classifySendError(new ApiError(401, "unauthorized", "who?")).kind).toBe("unauthorized");
    for (const status of [400, 403, 404, 409, 413, 415, 422])
      expect(classifySendError(new ApiError(status, "x", "no")).kind).toBe("refused");
    for (const status of [500, 502, 503, 504, 408]) expect(classifySendError(new ApiError(status, "x", "later")).kind).toBe("server");
  });

  it("when Retry-After is seconds or a date, then it is read as milliseconds", () => {
    expect(parseRetryAfter("7")).toBe(7_000);
    expect(parseRetryAfter(new Date(Date.now() + 3_000).toUTCString(), Date.now())).toBe(3_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});

describe("createOutbox", () => {
  it("when a message is queued, then it is in storage before it is sent, and gone once the server has it", async () => {
    const storage = createMemoryStorage();
    let resolveSend!: () => void;
    const server = buildServer();
    const { outbox } = buildOutbox({
      storage,
      send: async (item) => {
        await new Promise<void>((resolve) => (resolveSend = resolve));
        return server.send(item);
      },
    });
    const item = outbox.add({ recipientId: PEER, content: "hello" });
    expect(JSON.parse(storage.getItem(outboxKeyPrefix(ME) + item.clientId)!)).toMatchObject({ content: "hello", status: "pending" });
    expect(outbox.items()).toHaveLength(1);
    resolveSend();
    await vi.runAllTimersAsync();
    expect(storage.length).toBe(0);
    expect(outbox.items()).toEqual([]);
  });

  it("when the page reloads with unsent messages, then a new outbox on the same storage sends them with their clientIds", async () => {
    const storage = createMemoryStorage();
    const offline = buildOutbox({ storage, isOnline: () => false });
    const first = offline.outbox.add({ recipientId: PEER, content: "one" });
    const second = offline.outbox.add({ recipientId: PEER, content: "two" });
    await vi.runAllTimersAsync();
    expect(offline.server.calls).toEqual([]);
    offline.outbox.dispose();

    const reloaded = buildOutbox({ storage });
    expect(reloaded.outbox.items().map((item) => item.clientId)).toEqual([first.clientId, second.clientId]);
    await reloaded.outbox.flush();
    expect(reloaded.server.calls.map((item) => item.clientId)).toEqual([first.clientId, second.clientId]);
    expect(reloaded.sent.map((message) => message.content)).toEqual(["one", "two"]);
    expect(storage.length).toBe(0);
  });

  it("when a reply waits through a reload, then it is sent with its replyToId", async () => {
    const storage = createMemoryStorage();
    const offline = buildOutbox({ storage, isOnline: () => false });
    const original = "00000000-0000-4000-8000-0000000000a1";
    offline.outbox.add({ conversationId: GROUP, content: "yes", replyToId: original });
    offline.outbox.dispose();
    const reloaded = buildOutbox({ storage });
    await reloaded.outbox.flush();
    expect(reloaded.server.calls.map((item) => sendInputOf(item))).toEqual([
      { conversationId: GROUP, content: "yes", clientId: expect.any(String), replyToId: original },
    ]);
  });

  it("when two accounts use one browser, then neither sees nor sends the other's messages", async () => {
    const storage = createMemoryStorage();
    const mine = buildOutbox({ storage, isOnline: () => false });
    mine.outbox.add({ recipientId: PEER, content: "mine" });
    const theirs = buildOutbox({ storage, userId: SOMEONE_ELSE });
    await theirs.outbox.flush();
    expect(theirs.outbox.items()).toEqual([]);
    expect(theirs.server.calls).toEqual([]);
    expect(mine.outbox.items()).toHaveLength(1);
  });

  it("when the network fails, then it retries on the backoff schedule with the same clientId until the server answers", async () => {
    const { outbox, server, sent } = buildOutbox();
    server.script.push(networkError, networkError, networkError);
    const item = outbox.add({ recipientId: PEER, content: "hello" });
    await vi.advanceTimersByTimeAsync(0);
    expect(server.calls).toHaveLength(1);
    expect(outbox.items()[0]).toMatchObject({ status: "pending", attempts: 1, error: "Could not reach the server." });
    await vi.advanceTimersByTimeAsync(999);
    expect(server.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1); // 1 s
    expect(server.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2_000); // then 2 s
    expect(server.calls).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(4_000); // then 4 s: answered
    expect(server.calls).toHaveLength(4);
    expect(new Set(server.calls.map((call) => call.clientId))).toEqual(new Set([item.clientId]));
    expect(sent).toHaveLength(1);
    expect(outbox.items()).toEqual([]);
  });

  it("when a send is rate limited, then nothing is sent before Retry-After", async () => {
    const { outbox, server } = buildOutbox();
    server.script.push(() => new ApiError(429, "rate_limited", "Too many requests.", undefined, 7_000));
    outbox.add({ recipientId: PEER, content: "a" });
    outbox.add({ recipientId: OTHER, content: "b" });
    await vi.advanceTimersByTimeAsync(0);
    expect(server.calls).toHaveLength(1);
    // The network coming back does not cut a server's Retry-After short.
    await outbox.flush({ resetBackoff: true });
    await vi.advanceTimersByTimeAsync(6_900);
    expect(server.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(server.calls.map((call) => call.content)).toEqual(["a", "a", "b"]);
    expect(outbox.items()).toEqual([]);
  });

  it("when the server refuses a message, then it is marked failed with the server's message and the queue moves on", async () => {
    const { outbox, server } = buildOutbox();
    server.script.push(() => new ApiError(422, "validation_failed", "content must be at most 4000 characters"));
    const refused = outbox.add({ recipientId: PEER, content: "too long" });
    outbox.add({ recipientId: PEER, content: "next" });
    await vi.runAllTimersAsync();
    expect(server.calls.map((call) => call.content)).toEqual(["too long", "next"]);
    expect(outbox.items()).toEqual([
      expect.objectContaining({ clientId: refused.clientId, status: "failed", error: "content must be at most 4000 characters" }),
    ]);
    // Never retried by itself.
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.calls).toHaveLength(2);

    outbox.discard(refused.clientId);
    expect(outbox.items()).toEqual([]);
  });

  it.each([
    [404, "user_not_found", "That user does not exist."],
    [409, "client_id_conflict", "This clientId was already used for another message."],
    [422, "validation_failed", "content: must not be empty"],
    [413, "payload_too_large", "The body must be at most 65536 bytes."],
    [403, "forbidden_origin", "Cross-site requests are not allowed."],
  ])(
    "when the server answers %i %s, then the message fails for good with the server's message, and is not retried",
    async (status, code, message) => {
      const { outbox, server } = buildOutbox();
      server.script.push(() => new ApiError(status, code, message));
      const item = outbox.add({ recipientId: PEER, content: "hi" });
      await vi.runAllTimersAsync();
      expect(outbox.items()).toEqual([expect.objectContaining({ clientId: item.clientId, status: "failed", error: message, attempts: 1 })]);
      // A sentinel to another conversation goes through: the queue did not stop, and the failed one stayed put.
      outbox.add({ recipientId: OTHER, content: "sentinel" });
      await vi.advanceTimersByTimeAsync(10 * 60_000);
      expect(server.calls.map((call) => call.content)).toEqual(["hi", "sentinel"]);
      outbox.discard(item.clientId);
      expect(outbox.items()).toEqual([]);
    },
  );

  it("when the server keeps answering 500, then the message stays pending and is retried with growing waits", async () => {
    const { outbox, server } = buildOutbox();
    const failure = () => new ApiError(500, "internal_error", "Something went wrong on our side. Try again.");
    server.script.push(failure, failure, failure, failure);
    outbox.add({ recipientId: PEER, content: "hi" });
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(1_000 + 2_000 + 4_000 - 1);
    expect(server.calls).toHaveLength(3);
    expect(outbox.items()[0]).toMatchObject({ status: "pending", attempts: 3 });
    await vi.advanceTimersByTimeAsync(1 + 8_000);
    expect(server.calls).toHaveLength(5);
    expect(outbox.items()).toEqual([]);
  });

  it("when the user retries a failed message, then it goes again with the same clientId", async () => {
    const { outbox, server, sent } = buildOutbox();
    server.script.push(() => new ApiError(404, "user_not_found", "That user does not exist."));
    const item = outbox.add({ recipientId: PEER, content: "hi" });
    await vi.runAllTimersAsync();
    expect(outbox.items()[0]?.status).toBe("failed");
    outbox.retry(item.clientId);
    await vi.runAllTimersAsync();
    expect(server.calls.map((call) => call.clientId)).toEqual([item.clientId, item.clientId]);
    expect(sent).toHaveLength(1);
  });

  it("when a send to one conversation fails with 5xx, then its later messages wait and other conversations go on", async () => {
    const { outbox, server } = buildOutbox();
    server.script.push(() => new ApiError(503, "unavailable", "Service unavailable"));
    outbox.add({ recipientId: PEER, content: "p1" });
    outbox.add({ recipientId: PEER, content: "p2" });
    outbox.add({ recipientId: OTHER, content: "o1" });
    await vi.advanceTimersByTimeAsync(0);
    expect(server.calls.map((call) => call.content)).toEqual(["p1", "o1"]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(server.calls.map((call) => call.content)).toEqual(["p1", "o1", "p1", "p2"]);
  });

  it("when messages to one peer are queued fast, then they are sent one at a time in the order written", async () => {
    const { outbox, server } = buildOutbox();
    server.script.push(networkError);
    for (const content of ["1", "2", "3"]) outbox.add({ recipientId: PEER, content });
    await vi.runAllTimersAsync();
    expect(server.calls.map((call) => call.content)).toEqual(["1", "1", "2", "3"]);
    expect([...server.stored.values()].sort((a, b) => a.seq - b.seq).map((m) => m.content)).toEqual(["1", "2", "3"]);
  });

  it("when the browser is offline, then nothing is attempted until it is back", async () => {
    let online = false;
    const { outbox, server } = buildOutbox({ isOnline: () => online });
    outbox.add({ recipientId: PEER, content: "hi" });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.calls).toEqual([]);
    online = true;
    await outbox.flush({ resetBackoff: true });
    expect(server.calls).toHaveLength(1);
    expect(outbox.items()).toEqual([]);
  });

  it("when the network comes back, then waiting messages go at once instead of after their backoff", async () => {
    const { outbox, server } = buildOutbox();
    server.script.push(networkError, networkError, networkError, networkError, networkError);
    outbox.add({ recipientId: PEER, content: "hi" });
    await vi.advanceTimersByTimeAsync(0 + 1_000 + 2_000 + 4_000 + 8_000); // five failures: next try in 16 s
    expect(server.calls).toHaveLength(5);
    await outbox.flush({ resetBackoff: true });
    expect(server.calls).toHaveLength(6);
    expect(outbox.items()).toEqual([]);
  });

  it("when the session has ended, then sending stops, the message stays, and the next outbox (signed in again) sends it", async () => {
    const onUnauthorized = vi.fn();
    const storage = createMemoryStorage();
    const { outbox, server } = buildOutbox({ onUnauthorized, storage });
    server.script.push(() => new ApiError(401, "unauthorized", "Sign in"));
    outbox.add({ recipientId: PEER, content: "hi" });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(onUnauthorized).toHaveBeenCalledOnce();
    expect(server.calls).toHaveLength(1);
    expect(outbox.items()[0]).toMatchObject({ status: "pending" });
    outbox.dispose();
    const next = createOutbox({ userId: ME, storage, send: server.send, random: () => 1 });
    await next.flush();
    expect(server.calls).toHaveLength(2);
    expect(next.items()).toEqual([]);
  });

  it("when the message is seen stored before the send answers, then the outbox forgets it and the UI gets it once", async () => {
    const { outbox, server, sent } = buildOutbox();
    server.script.push(networkError);
    const item = outbox.add({ recipientId: PEER, content: "hi" });
    await vi.advanceTimersByTimeAsync(0);
    // E.g. another tab sent it and our socket delivered it.
    outbox.confirm(item.clientId);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.calls).toHaveLength(1);
    expect(sent).toEqual([]);
    expect(outbox.items()).toEqual([]);
  });

  it("when two tabs share the storage and a lock, then each message is sent exactly once", async () => {
    const storage = createMemoryStorage();
    let queue = Promise.resolve();
    // A fair mutex like navigator.locks.request.
    const lock = (_name: string, task: () => Promise<void>) => {
      const run = queue.then(task);
      queue = run.catch(() => {});
      return run;
    };
    const server = buildServer();
    const send = async (item: OutboxItem) => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return server.send(item);
    };
    const tabA = createOutbox({ userId: ME, storage, send, lock });
    const tabB = createOutbox({ userId: ME, storage, send, lock });
    for (let index = 0; index < 5; index += 1) (index % 2 ? tabA : tabB).add({ recipientId: PEER, content: `m${index}` });
    void tabA.flush({ resetBackoff: true });
    void tabB.flush({ resetBackoff: true });
    await vi.runAllTimersAsync();
    expect(server.calls.map((call) => call.content).sort()).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    expect(storage.length).toBe(0);
  });

  it("when storage cannot be written, then the message is still sent from memory", async () => {
    const storage = createMemoryStorage();
    storage.setItem = () => {
      throw new DOMException("quota", "QuotaExceededError");
    };
    const { outbox, server } = buildOutbox({ storage, isOnline: () => false });
    outbox.add({ recipientId: PEER, content: "hi" });
    expect(outbox.items()).toHaveLength(1);
    expect(server.calls).toEqual([]);
  });

  it("when stored entries are malformed, then they are skipped", () => {
    const storage = createMemoryStorage();
    storage.setItem(`${outboxKeyPrefix(ME)}junk`, "{not json");
    storage.setItem(`${outboxKeyPrefix(ME)}partial`, JSON.stringify({ clientId: "x" }));
    const { outbox } = buildOutbox({ storage, isOnline: () => false });
    expect(outbox.items()).toEqual([]);
  });

  it("when an item was stored before groups (recipientId only), then it is still read and sent to the peer", async () => {
    const storage = createMemoryStorage();
    const old = { clientId: "old-1", recipientId: PEER, content: "from before", createdAt: new Date(0).toISOString(), order: 1 };
    storage.setItem(`${outboxKeyPrefix(ME)}old-1`, JSON.stringify(old));
    storage.setItem(`${outboxKeyPrefix(ME)}both`, JSON.stringify({ ...old, clientId: "both", conversationId: GROUP }));
    const { outbox, server } = buildOutbox({ storage });
    expect(outbox.items().map((item) => [item.clientId, item.recipientId, item.conversationId])).toEqual([["old-1", PEER, null]]);
    await outbox.flush();
    expect(server.calls.map((item) => sendInputOf(item))).toEqual([{ recipientId: PEER, content: "from before", clientId: "old-1" }]);
  });

  it("when a group message waits, then it is sent by conversation id, and a direct conversation's queue is not held back by it", async () => {
    const { outbox, server } = buildOutbox();
    server.script.push(() => new ApiError(503, "unavailable", "Try again."));
    outbox.add({ conversationId: GROUP, content: "to the group" });
    outbox.add({ conversationId: GROUP, content: "second to the group" });
    outbox.add({ recipientId: PEER, content: "to the peer" });
    await vi.advanceTimersByTimeAsync(0);
    expect(server.calls.map((call) => call.content)).toEqual(["to the group", "to the peer"]);
    await vi.runAllTimersAsync();
    expect(server.calls.map((item) => sendInputOf(item)).slice(2)).toEqual([
      { conversationId: GROUP, content: "to the group", clientId: expect.any(String) },
      { conversationId: GROUP, content: "second to the group", clientId: expect.any(String) },
    ]);
    expect(outbox.items()).toEqual([]);
  });
});
