import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Push } from "socket-server/contract";
import { createOutboxDispatcher, createPushSender, createSqlOutboxSource, MAX_BATCH_BYTES } from "@/server/realtime/outbox";
import { asUser, type SqlClient } from "@/server/store/sql/client";
import { createSqlChatStore } from "@/server/store/sql-chat-store";
import { TEST_WEBHOOK_SECRET } from "./support/app-env";
import { createUser, openTestDatabase } from "./support/db";
import { notePostgresSkip, openPostgresTestDatabase, TEST_DATABASE_URL } from "./support/postgres";
import { startPushReceiver, waitFor } from "./support/push-receiver";

// The outbox on both drivers: rows written by the change's own transaction, sent by the
// dispatcher to a local receiver that verifies with the `standardwebhooks` package.
// Who may touch the table and its functions, and what claim, release and expiry do in SQL:
// supabase/tests/database/push-outbox.test.sql (pgTAP).
const drivers = [
  { name: "embedded PGlite", open: openTestDatabase, skip: false },
  { name: "Postgres", open: openPostgresTestDatabase, skip: !TEST_DATABASE_URL },
];
notePostgresSkip("push outbox on Postgres");

describe.each(drivers)("push outbox on $name", ({ open, skip }) => {
  if (skip) {
    it.skip("needs TEST_DATABASE_URL", () => {});
    return;
  }

  let db: SqlClient;
  let close: () => Promise<void>;
  let alice: string;
  let bob: string;
  let receiver: Awaited<ReturnType<typeof startPushReceiver>>;
  let logs: string[];

  // Some tests send hundreds of messages in a second, far above the default send limit (60/10 s).
  const noSendLimit = { sendLimit: { points: 100_000, durationSeconds: 10 } };
  const send = (from: string, to: string, content = `hello ${randomUUID()}`) =>
    asUser(
      db,
      from,
      (tx) => tx.query<{ id: string; created: boolean }>("select * from public.send_message($1, $2, $3)", [to, content, randomUUID()]),
      noSendLimit,
    ).then(([row]) => row!);
  const pending = async () => (await db.query<{ n: number }>("select count(*)::int as n from public.push_outbox"))[0]!.n;
  const dispatcher = ({ batchMax = 100, batchWaitMs = 2, url = receiver.url, maxAgeSeconds = 86_400 } = {}) =>
    createOutboxDispatcher({
      source: createSqlOutboxSource(db, { leaseSeconds: 30, maxAgeSeconds }),
      sender: createPushSender({ url, secret: TEST_WEBHOOK_SECRET, batchMax, log: (line) => logs.push(line) }),
      batchMax,
      batchWaitMs,
      log: (line) => logs.push(line),
    });

  beforeAll(async () => {
    ({ db, close } = await open());
    alice = await createUser(db, `alice-${randomUUID()}@outbox.test`);
    bob = await createUser(db, `bob-${randomUUID()}@outbox.test`);
  });
  afterAll(() => close());
  beforeEach(async () => {
    receiver = await startPushReceiver(TEST_WEBHOOK_SECRET);
    logs = [];
    await db.query("delete from public.push_outbox");
  });
  afterEach(() => receiver.close());

  it("when a message is stored, then its push row is written in the same transaction, and a rollback leaves neither", async () => {
    const clientId = randomUUID();
    await expect(
      asUser(db, alice, async (tx) => {
        await tx.query("select * from public.send_message($1, 'rolled back', $2)", [bob, clientId]);
        throw new Error("crash before commit");
      }),
    ).rejects.toThrow("crash before commit");
    expect(await pending()).toBe(0);
    expect(await db.query("select 1 from public.messages where client_id = $1", [clientId])).toEqual([]);

    const message = await send(alice, bob, "committed");
    const rows = await db.query<{ push_id: string; type: string; payload: Record<string, unknown> }>(
      "select push_id, type, payload from public.push_outbox",
    );
    expect(rows).toEqual([
      { push_id: `msg_${message.id}`, type: "message.created", payload: expect.objectContaining({ id: message.id, content: "committed" }) },
    ]);
  });

  it("when a retry of a stored message comes in, then no second row is written", async () => {
    const clientId = randomUUID();
    await asUser(db, alice, (tx) => tx.query("select * from public.send_message($1, 'once', $2)", [bob, clientId]));
    const [again] = await asUser(db, alice, (tx) =>
      tx.query<{ created: boolean }>("select * from public.send_message($1, 'once', $2)", [bob, clientId]),
    );
    expect(again!.created).toBe(false);
    expect(await pending()).toBe(1);
  });

  it("when pushes are pending, then one signed batch carries them, each item with its own id, and the rows are gone", async () => {
    const messages = [await send(alice, bob), await send(bob, alice), await send(alice, bob)];
    const report = await dispatcher().kick();
    expect(report).toMatchObject({ delivered: 3, retried: 0 });
    expect(receiver.bodies).toHaveLength(1);
    expect(receiver.bodies[0]).toMatchObject({ items: 3, webhookId: expect.stringMatching(/^batch_/) });
    expect(receiver.received.map((r) => r.id).sort()).toEqual(messages.map((m) => `msg_${m.id}`).sort());
    // The payload is the message as the API returns it (camelCase, ISO time with milliseconds).
    const [stored] = await asUser(db, alice, (tx) =>
      tx.query<{ created_at: Date | string }>("select created_at from public.messages where id = $1", [messages[0]!.id]),
    );
    const pushed = receiver.received.find((r) => r.id === `msg_${messages[0]!.id}`)!.push as Extract<Push, { type: "message.created" }>;
    expect(pushed.data).toMatchObject({
      id: messages[0]!.id,
      senderId: alice,
      recipientId: bob,
      createdAt: new Date(stored!.created_at).toISOString(),
    });
    expect(await pending()).toBe(0);
  });

  it("when PUSH_BATCH_MAX is 1, then each push is a single body whose webhook-id is the item id", async () => {
    const messages = [await send(alice, bob), await send(alice, bob)];
    await dispatcher({ batchMax: 1 }).kick();
    expect(receiver.bodies.map((b) => [b.webhookId, b.items])).toEqual(messages.map((m) => [`msg_${m.id}`, 1]));
  });

  it("when the pending pushes pass 1 MiB, then they are split into bodies under the limit", async () => {
    // 200 × ~11.7 kB (3-byte characters): about 2.3 MiB in all.
    const big = "€".repeat(3_900);
    for (let i = 0; i < 200; i++) await send(i % 2 ? alice : bob, i % 2 ? bob : alice, `${i} ${big}`);
    const report = await dispatcher({ batchMax: 500 }).kick();
    expect(report.delivered).toBe(200);
    expect(receiver.bodies.length).toBeGreaterThanOrEqual(3);
    for (const body of receiver.bodies) expect(body.bytes).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(200);
  });

  it("when the receiver is down, then rows stay with a backoff, and once it is back each is delivered once", async () => {
    const down = await startPushReceiver(TEST_WEBHOOK_SECRET, () => 503);
    const message = await send(alice, bob);
    const report = await dispatcher({ url: down.url }).kick();
    await down.close();
    expect(report).toMatchObject({ delivered: 0, retried: 1 });
    const [row] = await db.query<{ attempts: number; wait: number; last_error: string }>(
      "select attempts, extract(epoch from next_attempt_at - now())::float as wait, last_error from public.push_outbox",
    );
    expect(row).toMatchObject({ attempts: 1, last_error: "HTTP 503" });
    expect(row!.wait).toBeGreaterThan(0);
    expect(logs.some((line) => line.includes("will be retried"))).toBe(true);

    // Not due yet: a kick now sends nothing; once due (moved here instead of waiting), it goes.
    expect((await dispatcher().kick()).delivered).toBe(0);
    await db.query("update public.push_outbox set next_attempt_at = now()");
    expect((await dispatcher().kick()).delivered).toBe(1);
    expect(receiver.received.map((r) => r.id)).toEqual([`msg_${message.id}`]);
  });

  it("when several dispatchers claim at once, then each row is sent by exactly one of them", async () => {
    for (let i = 0; i < 60; i++) await send(i % 2 ? alice : bob, i % 2 ? bob : alice);
    const dispatchers = Array.from({ length: 4 }, () => dispatcher({ batchMax: 5 }));
    await Promise.all(dispatchers.map((d) => d.kick()));
    const sent = receiver.bodies.reduce((sum, body) => sum + body.items, 0);
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(60);
    expect(sent).toBe(60);
    expect(await pending()).toBe(0);
  });

  it("when a row is older than the max age, then it is dropped with a log line instead of sent", async () => {
    const old = await send(alice, bob);
    await db.query("update public.push_outbox set created_at = now() - interval '25 hours'");
    const fresh = await send(alice, bob);
    const report = await dispatcher({ maxAgeSeconds: 24 * 3600 }).kick();
    expect(report).toMatchObject({ delivered: 1, expired: 1 });
    expect(receiver.received.map((r) => r.id)).toEqual([`msg_${fresh.id}`]);
    expect(logs.some((line) => line.includes(`msg_${old.id}`) && line.includes("max age"))).toBe(true);
    expect(await pending()).toBe(0);
  });

  it("when the receiver takes single bodies only (422 to a batch), then the items go as single pushes", async () => {
    let batches = 0;
    const legacy = await startPushReceiver(TEST_WEBHOOK_SECRET);
    // A socket server that predates batches answers a batch body 422 (signed, but not a push it knows).
    const proxy = await import("node:http").then(({ createServer }) => {
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", async () => {
          const body = Buffer.concat(chunks).toString("utf8");
          if (body.startsWith('{"type":"batch"')) {
            batches++;
            res.writeHead(422).end();
            return;
          }
          const answer = await fetch(`${legacy.url}/webhooks/messages`, {
            method: "POST",
            headers: req.headers as Record<string, string>,
            body,
          });
          res.writeHead(answer.status).end(await answer.text());
        });
      });
      return new Promise<typeof server>((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
    });
    const { port } = proxy.address() as { port: number };
    try {
      const messages = [await send(alice, bob), await send(bob, alice)];
      const report = await dispatcher({ url: `http://127.0.0.1:${port}` }).kick();
      expect(report.delivered).toBe(2);
      expect(batches).toBe(1);
      expect(legacy.bodies.map((b) => b.webhookId).sort()).toEqual(messages.map((m) => `msg_${m.id}`).sort());
    } finally {
      proxy.close();
      await legacy.close();
    }
  });

  it("when a read position moves, then a read.updated row is written; an unchanged one writes none", async () => {
    await send(bob, alice);
    await db.query("delete from public.push_outbox");
    const [state] = await asUser(db, alice, (tx) =>
      tx.query<{ conversation_id: string; last_read_seq: number }>("select * from public.mark_read($1, 1000)", [bob]),
    );
    await asUser(db, alice, (tx) => tx.query("select * from public.mark_read($1, 1000)", [bob]));
    const rows = await db.query<{ push_id: string; payload: Record<string, unknown> }>("select push_id, payload from public.push_outbox");
    expect(rows).toEqual([
      {
        push_id: `read_${state!.conversation_id}_${alice}_${state!.last_read_seq}`,
        payload: { conversationId: state!.conversation_id, userId: alice, peerId: bob, lastReadSeq: Number(state!.last_read_seq) },
      },
    ]);
  });

  it("when a request names the rows it wrote, then only those are claimed and sent, without the general claim", async () => {
    const source = createSqlOutboxSource(db, { leaseSeconds: 30, maxAgeSeconds: 86_400 });
    const general: number[] = [];
    const d = createOutboxDispatcher({
      source: { ...source, claim: (limit) => (general.push(limit), source.claim(limit)) },
      sender: createPushSender({ url: receiver.url, secret: TEST_WEBHOOK_SECRET, batchMax: 100 }),
      batchMax: 100,
      batchWaitMs: 2,
    });
    const others = await send(bob, alice);
    const mine = await send(alice, bob);
    expect(await d.kick([`msg_${mine.id}`])).toMatchObject({ delivered: 1 });
    expect(receiver.received.map((r) => r.id)).toEqual([`msg_${mine.id}`]);
    expect(general).toEqual([]);
    // Bob's row is the sweep's.
    expect(await pending()).toBe(1);
    expect(await d.kick()).toMatchObject({ delivered: 1 });
    expect(receiver.received.map((r) => r.id)).toEqual([`msg_${mine.id}`, `msg_${others.id}`]);
  });

  it("when a direct message's push is held by the request, then it is the row's payload, leaves without a claim, and the row goes", async () => {
    const store = createSqlChatStore(db, noSendLimit);
    const first = await store.insertMessage(alice, { recipientId: bob, content: "first", clientId: randomUUID() });
    const reply = await store.insertMessage(bob, {
      recipientId: alice,
      content: "a reply",
      clientId: randomUUID(),
      replyToId: first.message.id,
    });
    const rows = await db.query<{ push_id: string; payload: unknown }>("select push_id, payload from public.push_outbox order by id");
    // What the trigger wrote is what the request answers with.
    expect(rows).toEqual([
      { push_id: `msg_${first.message.id}`, payload: JSON.parse(JSON.stringify(first.message)) },
      { push_id: `msg_${reply.message.id}`, payload: JSON.parse(JSON.stringify(reply.message)) },
    ]);
    const source = createSqlOutboxSource(db, { leaseSeconds: 30, maxAgeSeconds: 86_400 });
    const claims: string[] = [];
    const d = createOutboxDispatcher({
      source: {
        ...source,
        claim: (limit) => (claims.push("general"), source.claim(limit)),
        claimIds: (ids) => (claims.push("ids"), source.claimIds(ids)),
      },
      sender: createPushSender({ url: receiver.url, secret: TEST_WEBHOOK_SECRET, batchMax: 100 }),
      batchMax: 100,
      batchWaitMs: 2,
    });
    const held = [first, reply].map(({ message }) => ({
      pushId: `msg_${message.id}`,
      push: { type: "message.created", data: message } as Push,
    }));
    expect(await d.kick([], held)).toMatchObject({ delivered: 2 });
    expect(claims).toEqual([]);
    expect(receiver.received.map((r) => r.id)).toEqual([`msg_${first.message.id}`, `msg_${reply.message.id}`]);
    expect(await pending()).toBe(0);
  });

  it("when held pushes are delivered one by one within the delete delay, then one statement deletes all their rows", async () => {
    const store = createSqlChatStore(db, noSendLimit);
    const sent = [];
    for (const content of ["one", "two", "three", "four", "five"]) {
      sent.push((await store.insertMessage(alice, { recipientId: bob, content, clientId: randomUUID() })).message);
    }
    const source = createSqlOutboxSource(db, { leaseSeconds: 30, maxAgeSeconds: 86_400 });
    const deletes: string[][] = [];
    const d = createOutboxDispatcher({
      source: { ...source, completeIds: (pushIds) => (deletes.push(pushIds), source.completeIds(pushIds)) },
      sender: createPushSender({ url: receiver.url, secret: TEST_WEBHOOK_SECRET, batchMax: 100 }),
      batchMax: 100,
      batchWaitMs: 0,
      // Far longer than five pushes to a local receiver take.
      deleteDelayMs: 1_000,
    });
    // Each request kicks with its own push, as the send route does.
    const kicks = sent.map((message) =>
      d.kick([], [{ pushId: `msg_${message.id}`, push: { type: "message.created", data: message } as Push }]),
    );
    await Promise.all(kicks);
    expect(receiver.received.map((r) => r.id).sort()).toEqual(sent.map((m) => `msg_${m.id}`).sort());
    expect(deletes.map((ids) => ids.length)).toEqual([5]);
    expect(await pending()).toBe(0);
  });

  it("when a held push cannot be delivered, then its row stays due and the general claim sends it later", async () => {
    const down = await startPushReceiver(TEST_WEBHOOK_SECRET, () => 503);
    const message = await send(alice, bob);
    const row = (await db.query<{ payload: Push["data"] }>("select payload from public.push_outbox"))[0]!;
    const held = [{ pushId: `msg_${message.id}`, push: { type: "message.created", data: row.payload } as Push }];
    expect(await dispatcher({ url: down.url }).kick([], held)).toMatchObject({ delivered: 0, retried: 1 });
    await down.close();
    expect(await pending()).toBe(1);
    expect(await dispatcher().kick()).toMatchObject({ delivered: 1 });
    expect(receiver.received.map((r) => r.id)).toEqual([`msg_${message.id}`]);
  });

  it("when a named row has an older unsent row of its user, then the general claim sends both, in commit order", async () => {
    const first = await send(alice, bob);
    const second = await send(alice, bob);
    expect(await dispatcher().kick([`msg_${second.id}`])).toMatchObject({ delivered: 2 });
    expect(receiver.received.map((r) => r.id)).toEqual([`msg_${first.id}`, `msg_${second.id}`]);
    expect(await pending()).toBe(0);
  });

  /** A dispatcher whose first request waits until `release()`: a push still in flight. */
  const withFirstRequestHeld = (url: string, { maxInFlight }: { maxInFlight?: number } = {}) => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const d = createOutboxDispatcher({
      source: createSqlOutboxSource(db, { leaseSeconds: 30, maxAgeSeconds: 86_400 }),
      sender: createPushSender({
        url,
        secret: TEST_WEBHOOK_SECRET,
        batchMax: 100,
        fetchImpl: async (input, init) => {
          if (calls++ === 0) await gate;
          return fetch(input, init);
        },
      }),
      batchMax: 100,
      batchWaitMs: 2,
      maxInFlight,
    });
    return { d, release, calls: () => calls };
  };

  it("when kicks arrive while the only send slot is taken, then they leave together in the next batch", async () => {
    const slow = await startPushReceiver(TEST_WEBHOOK_SECRET);
    // The first request waits until the test has queued more.
    const { d, release, calls } = withFirstRequestHeld(slow.url, { maxInFlight: 1 });
    try {
      await send(alice, bob);
      const first = d.kick();
      await waitFor(() => calls() === 1);
      for (let i = 0; i < 5; i++) {
        await send(alice, bob);
        void d.kick();
      }
      release();
      await first;
      await waitFor(() => slow.received.length === 6);
      expect(slow.bodies.map((b) => b.items)).toEqual([1, 5]);
    } finally {
      await d.stop();
      await slow.close();
    }
  });

  // Held pushes, as a send's after() kicks them: `gate` holds back one step of the first push.
  const heldPush = async () => {
    const message = await send(alice, bob);
    const [row] = await db.query<{ payload: Push["data"] }>("select payload from public.push_outbox where push_id = $1", [
      `msg_${message.id}`,
    ]);
    return { pushId: `msg_${message.id}`, push: { type: "message.created", data: row!.payload } as Push };
  };

  it("when a push is kicked while an earlier push waits for the socket server, then it leaves without waiting for that answer", async () => {
    const { d, release, calls } = withFirstRequestHeld(receiver.url);
    try {
      const [a, b] = [await heldPush(), await heldPush()];
      const first = d.kick([], [a]);
      await waitFor(() => calls() === 1);
      void d.kick([], [b]);
      // B arrives while A's request is still held back.
      await waitFor(() => receiver.received.length === 1);
      expect(receiver.received.map((r) => r.id)).toEqual([b.pushId]);
      release();
      expect(await first).toMatchObject({ delivered: 2 });
      expect(receiver.received.map((r) => r.id)).toEqual([b.pushId, a.pushId]);
      expect(await pending()).toBe(0);
    } finally {
      release();
      await d.stop();
    }
  });

  it("when a push is kicked while delivered rows are being deleted, then it leaves without waiting for the delete", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const source = createSqlOutboxSource(db, { leaseSeconds: 30, maxAgeSeconds: 86_400 });
    const deletes: string[][] = [];
    const d = createOutboxDispatcher({
      source: {
        ...source,
        completeIds: async (pushIds) => {
          deletes.push(pushIds);
          if (deletes.length === 1) await gate;
          return source.completeIds(pushIds);
        },
      },
      sender: createPushSender({ url: receiver.url, secret: TEST_WEBHOOK_SECRET, batchMax: 100 }),
      batchMax: 100,
      batchWaitMs: 2,
    });
    try {
      const [a, b] = [await heldPush(), await heldPush()];
      const first = d.kick([], [a]);
      await waitFor(() => deletes.length === 1);
      void d.kick([], [b]);
      // B is delivered while A's row is still being deleted.
      await waitFor(() => receiver.received.length === 2);
      expect(receiver.received.map((r) => r.id)).toEqual([a.pushId, b.pushId]);
      expect(await pending()).toBe(2);
      release();
      expect(await first).toMatchObject({ delivered: 2 });
      expect(deletes).toEqual([[a.pushId], [b.pushId]]);
      expect(await pending()).toBe(0);
    } finally {
      release();
      await d.stop();
    }
  });
});
