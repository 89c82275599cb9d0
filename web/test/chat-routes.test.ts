import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getServices } from "@/server/context";
import { call, signIn } from "./support/routes";
import { startTestApp } from "./support/app-env";
import { waitFor } from "./support/push-receiver";

let app: Awaited<ReturnType<typeof startTestApp>>;
let alice: { cookie: string; userId: string };
let bob: { cookie: string; userId: string };
let carol: { cookie: string; userId: string };

beforeAll(async () => {
  app = await startTestApp();
  alice = await signIn("alice@example.com");
  bob = await signIn("bob@example.com");
  carol = await signIn("carol@example.com");
});
afterAll(() => app.stop());

const sendAs = (who: { cookie: string }, json: unknown) => call("POST", "/api/chat/send", { cookie: who.cookie, json });
const messageCount = async () => {
  const { local } = await getServices();
  const [row] = await local!.db.query<{ n: number }>("select count(*)::int as n from public.messages");
  return row!.n;
};

describe("POST /api/chat/send", () => {
  it("when a user sends, then 201 with the stored message, and a signed push follows", async () => {
    const clientId = randomUUID();
    const res = await sendAs(alice, { recipientId: bob.userId, content: "  hello bob \n", clientId });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      id: expect.any(String),
      senderId: alice.userId,
      recipientId: bob.userId,
      content: "hello bob",
      clientId,
      createdAt: expect.any(String),
    });
    const push = await waitFor(() => app.receiver.received.find((p) => p.id === `msg_${res.body.data.id}`));
    expect(push.id).toBe(`msg_${res.body.data.id}`);
    expect(push.push).toEqual({ type: "message.created", data: res.body.data });
  });

  it("when the same clientId is sent again, then 200 with the original and nothing new is stored", async () => {
    const clientId = randomUUID();
    const first = await sendAs(alice, { recipientId: bob.userId, content: "only once", clientId });
    const before = await messageCount();
    const again = await sendAs(alice, { recipientId: bob.userId, content: "only once", clientId });
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(first.body.data);
    expect(await messageCount()).toBe(before);
  });

  it("when the same clientId comes with other content or another recipient, then 409 client_id_conflict and nothing is stored", async () => {
    const clientId = randomUUID();
    const first = await sendAs(alice, { recipientId: bob.userId, content: "the original", clientId });
    expect(first.status).toBe(201);
    const before = await messageCount();
    for (const json of [
      { recipientId: bob.userId, content: "the original, edited", clientId },
      { recipientId: carol.userId, content: "the original", clientId },
    ]) {
      const res = await sendAs(alice, json);
      expect([res.status, res.body.error.code]).toEqual([409, "client_id_conflict"]);
      expect(res.body.error.message).toEqual(expect.any(String));
    }
    expect(await messageCount()).toBe(before);
    // Another sender's clientId space is their own.
    expect((await sendAs(bob, { recipientId: alice.userId, content: "same id, other sender", clientId })).status).toBe(201);
  });

  it("when the content is only invisible characters, then 422 on path content and nothing is stored", async () => {
    const before = await messageCount();
    const res = await sendAs(alice, { recipientId: bob.userId, content: "\u200b\u2060", clientId: randomUUID() });
    expect([res.status, res.body.error.code]).toEqual([422, "validation_failed"]);
    expect(res.body.error.details).toEqual([{ path: "content", message: "content must not be only invisible characters" }]);
    expect(await messageCount()).toBe(before);
  });

  it("when the socket server is down, then the send still succeeds and the message is stored", async () => {
    const { env } = await getServices();
    const original = env.socketServerUrl;
    await app.receiver.close();
    try {
      const res = await sendAs(bob, { recipientId: alice.userId, content: "while the socket server is away", clientId: randomUUID() });
      expect(res.status).toBe(201);
      const page = await call("GET", `/api/chat/history?with=${bob.userId}&after=${res.body.data.id}`, { cookie: alice.cookie });
      expect(page.status).toBe(200);
      const back = await call("GET", `/api/chat/history?with=${bob.userId}&limit=1`, { cookie: alice.cookie });
      expect(back.body.data.messages[0].id).toBe(res.body.data.id);
    } finally {
      expect(env.socketServerUrl).toBe(original);
    }
  });

  it("when there is no session, then 401 and nothing is stored", async () => {
    const before = await messageCount();
    const res = await call("POST", "/api/chat/send", { json: { recipientId: bob.userId, content: "x", clientId: randomUUID() } });
    expect([res.status, res.body.error.code]).toEqual([401, "unauthorized"]);
    expect(await messageCount()).toBe(before);
  });

  const invalid: [string, unknown, number, string][] = [
    ["empty content", { content: "   " }, 422, "validation_failed"],
    ["only zero-width spaces", { content: "\u200b\u200b\u200b" }, 422, "validation_failed"],
    ["only whitespace and format characters", { content: " \u00a0\u2060\ufeff\u200d\u3000 " }, 422, "validation_failed"],
    ["a bidi override", { content: "evil\u202etxt.exe" }, 422, "validation_failed"],
    ["content over 4000 characters", { content: "x".repeat(4001) }, 422, "validation_failed"],
    ["a NUL byte", { content: "a\u0000b" }, 422, "validation_failed"],
    ["a lone surrogate", { content: "a\ud800b" }, 422, "validation_failed"],
    ["a non-UUID clientId", { clientId: "123" }, 422, "validation_failed"],
    ["a non-UUID recipient", { recipientId: "bob" }, 422, "validation_failed"],
    ["a missing field", { content: undefined }, 422, "validation_failed"],
    ["an extra field", { senderId: randomUUID() }, 422, "validation_failed"],
    ["content that is not a string", { content: { html: "<b>" } }, 422, "validation_failed"],
  ];
  it.each(invalid)("when the body has %s, then %i %s and nothing is stored", async (_, patch, status, code) => {
    const before = await messageCount();
    const res = await sendAs(alice, { recipientId: bob.userId, content: "ok", clientId: randomUUID(), ...(patch as object) });
    expect([res.status, res.body.error.code]).toEqual([status, code]);
    expect(res.body.error.message).toEqual(expect.any(String));
    expect(await messageCount()).toBe(before);
  });

  it("when content is exactly 4000 characters (emoji count as one), then it is accepted", async () => {
    const res = await sendAs(alice, { recipientId: bob.userId, content: "😀".repeat(4000), clientId: randomUUID() });
    expect(res.status).toBe(201);
  });

  it("when the body is over 64 KiB, then 413", async () => {
    const res = await sendAs(alice, { recipientId: bob.userId, content: "x".repeat(70_000), clientId: randomUUID() });
    expect([res.status, res.body.error.code]).toEqual([413, "payload_too_large"]);
  });

  it("when the recipient does not exist, then 404 user_not_found", async () => {
    const res = await sendAs(alice, { recipientId: randomUUID(), content: "anyone?", clientId: randomUUID() });
    expect([res.status, res.body.error.code]).toEqual([404, "user_not_found"]);
  });

  it("when the recipient is the sender, then 400 cannot_message_self", async () => {
    const res = await sendAs(alice, { recipientId: alice.userId, content: "me", clientId: randomUUID() });
    expect([res.status, res.body.error.code]).toEqual([400, "cannot_message_self"]);
  });
});

describe("GET /api/chat/history", () => {
  let dave: { cookie: string; userId: string };
  let erin: { cookie: string; userId: string };
  const ids: string[] = [];
  beforeAll(async () => {
    dave = await signIn("dave@example.com");
    erin = await signIn("erin@example.com");
    for (let i = 0; i < 5; i++) {
      const from = i % 2 ? erin : dave;
      const to = i % 2 ? dave : erin;
      ids.push((await sendAs(from, { recipientId: to.userId, content: `h${i}`, clientId: randomUUID() })).body.data.id);
    }
  });

  it("when both participants read, then they see the same pages, oldest first, chained by nextBefore", async () => {
    const first = await call("GET", `/api/chat/history?with=${erin.userId}&limit=2`, { cookie: dave.cookie });
    expect(first.status).toBe(200);
    expect(first.body.data.messages.map((m: { content: string }) => m.content)).toEqual(["h3", "h4"]);
    const second = await call("GET", `/api/chat/history?with=${erin.userId}&limit=2&before=${first.body.data.nextBefore}`, {
      cookie: dave.cookie,
    });
    expect(second.body.data.messages.map((m: { content: string }) => m.content)).toEqual(["h1", "h2"]);
    const fromErin = await call("GET", `/api/chat/history?with=${dave.userId}&limit=2`, { cookie: erin.cookie });
    expect(fromErin.body.data).toEqual(first.body.data);
  });

  it("when catching up with after, then only newer messages come", async () => {
    const res = await call("GET", `/api/chat/history?with=${erin.userId}&after=${ids[2]}`, { cookie: dave.cookie });
    expect(res.body.data.messages.map((m: { id: string }) => m.id)).toEqual(ids.slice(3));
  });

  it("when a third user uses a cursor from someone else's conversation, then 400 and nothing leaks", async () => {
    const res = await call("GET", `/api/chat/history?with=${erin.userId}&before=${ids[4]}`, { cookie: carol.cookie });
    expect([res.status, res.body.error.code]).toEqual([400, "invalid_cursor"]);
    const own = await call("GET", `/api/chat/history?with=${erin.userId}`, { cookie: carol.cookie });
    expect(own.body.data).toEqual({ messages: [], nextBefore: null });
  });

  it.each([
    ["with missing", ""],
    ["with not a UUID", "with=abc"],
    ["limit not a number", "with=WITH&limit=ten"],
    ["before and after together", "with=WITH&before=B&after=B"],
    ["before not a UUID", "with=WITH&before=1%20or%201=1"],
  ])("when %s, then 422 validation_failed", async (_, query) => {
    const q = query.replaceAll("WITH", erin.userId).replaceAll("B", ids[0]!);
    const res = await call("GET", `/api/chat/history?${q}`, { cookie: dave.cookie });
    expect([res.status, res.body.error.code]).toEqual([422, "validation_failed"]);
  });

  it("when limit is huge or negative, then it is clamped", async () => {
    const huge = await call("GET", `/api/chat/history?with=${erin.userId}&limit=99999999`, { cookie: dave.cookie });
    expect(huge.body.data.messages).toHaveLength(5);
    const negative = await call("GET", `/api/chat/history?with=${erin.userId}&limit=-3`, { cookie: dave.cookie });
    expect(negative.body.data.messages).toHaveLength(1);
  });

  it("when there is no session, then 401", async () => {
    expect((await call("GET", `/api/chat/history?with=${erin.userId}`)).status).toBe(401);
  });
});

describe("conversations and user search", () => {
  it("when listing conversations, then only the user's own appear, with peer and last message", async () => {
    const res = await call("GET", "/api/chat/conversations", { cookie: carol.cookie });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
    await sendAs(carol, { recipientId: alice.userId, content: "hi alice, carol here", clientId: randomUUID() });
    const after = await call("GET", "/api/chat/conversations", { cookie: carol.cookie });
    expect(after.body.data).toHaveLength(1);
    expect(after.body.data[0]).toMatchObject({
      peer: { id: alice.userId, email: "alice@example.com" },
      lastMessage: { content: "hi alice, carol here", senderId: carol.userId },
    });
    const forAlice = await call("GET", "/api/chat/conversations", { cookie: alice.cookie });
    expect(forAlice.body.data[0].peer.email).toBe("carol@example.com");
    expect(forAlice.body.data.map((c: { peer: { email: string } }) => c.peer.email)).toContain("bob@example.com");
  });

  it("when searching users by prefix, then people one has a conversation with come back, without the searcher", async () => {
    const res = await call("GET", "/api/users?q=BO", { cookie: alice.cookie });
    expect(res.body.data).toEqual([{ id: bob.userId, email: "bob@example.com", displayName: null }]);
    const none = await call("GET", "/api/users?q=alice", { cookie: alice.cookie });
    expect(none.body.data).toEqual([]);
  });

  it("when a stranger searches, then only an exact email address finds someone; after a message, the prefix does", async () => {
    const dora = await signIn("dora@example.com");
    const search = async (who: { cookie: string }, q: string) => {
      const res = await call("GET", `/api/users?q=${encodeURIComponent(q)}`, { cookie: who.cookie });
      expect(res.status).toBe(200);
      return res.body.data as { email: string }[];
    };
    expect(await search(dora, "a")).toEqual([]);
    expect(await search(dora, "alice@example.co")).toEqual([]);
    expect(await search(dora, "ALICE@example.com")).toEqual([{ id: alice.userId, email: "alice@example.com", displayName: null }]);
    expect(await search(alice, "dor")).toEqual([]);
    expect((await sendAs(dora, { recipientId: alice.userId, content: "hi, found you", clientId: randomUUID() })).status).toBe(201);
    expect((await search(alice, "dor")).map((u) => u.email)).toEqual(["dora@example.com"]);
    expect((await search(dora, "a")).map((u) => u.email)).toEqual(["alice@example.com"]);
  });

  it("when the query is empty or the user signed out, then 422 or 401", async () => {
    expect((await call("GET", "/api/users?q=", { cookie: alice.cookie })).status).toBe(422);
    expect((await call("GET", "/api/users?q=b")).status).toBe(401);
  });
});
