import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ChatMessage } from "@/lib/types";
import { historyQuerySchema, sendMessageSchema } from "@/lib/validations/chat";
import { DomainError } from "@/server/errors";
import type { RealtimePush } from "@/server/realtime/push";
import { createRateLimits, unlimited, type RateLimits } from "@/server/rate-limit";
import { everyRateLimit } from "@/test/support/rate-limits";
import { createSqlChatStore } from "@/server/store/sql-chat-store";
import type { SqlClient } from "@/server/store/sql/client";
import { createUser, openTestDatabase } from "@/test/support/db";
import { notePostgresSkip, openPostgresTestDatabase, TEST_DATABASE_URL } from "@/test/support/postgres";
import { getHistory, listConversations, searchUsers, sendMessage } from ".";

const noLimits = everyRateLimit({ points: 1_000_000, durationSeconds: 1 });

// One SQL store, two drivers: the same behaviour on the embedded PGlite and on a real Postgres.
const drivers = [
  { name: "embedded PGlite", open: openTestDatabase, skip: false },
  { name: "Postgres (pg)", open: openPostgresTestDatabase, skip: !TEST_DATABASE_URL },
];
notePostgresSkip("chat services on Postgres");

describe.each(drivers)("chat services on $name", ({ open, skip }) => {
  if (skip) {
    it.skip("needs TEST_DATABASE_URL", () => {});
    return;
  }

  let db: SqlClient;
  let close: () => Promise<void>;
  let pushed: ChatMessage[];
  let deps: { store: ReturnType<typeof createSqlChatStore>; push: RealtimePush; limits: RateLimits };
  let alice: string;
  let bob: string;
  let carol: string;

  beforeAll(async () => {
    ({ db, close } = await open());
    deps = {
      store: createSqlChatStore(db),
      push: {
        messageCreated: (message) => pushed.push(message),
        messageChanged: () => {},
        readUpdated: () => {},
        conversationUpdated: () => {},
        sessionRevoked: () => {},
      },
      limits: unlimited,
    };
    alice = await createUser(db, "alice@example.com");
    bob = await createUser(db, "bob@example.com");
    carol = await createUser(db, "carol@example.com");
  });
  afterAll(() => close());
  beforeEach(() => {
    pushed = [];
  });

  const send = (from: string, to: string, content: string, clientId = randomUUID()) =>
    sendMessage(deps, from, sendMessageSchema.parse({ recipientId: to, content, clientId }));
  const history = (userId: string, query: Record<string, string>) => getHistory(deps, userId, historyQuerySchema.parse(query));

  describe("sendMessage", () => {
    it("when a user sends a message, then it is stored trimmed, positioned and pushed", async () => {
      const { message, created } = await send(alice, bob, "  hi bob  ");
      expect(created).toBe(true);
      expect(message).toMatchObject({ senderId: alice, recipientId: bob, content: "hi bob" });
      expect(message.seq).toBeGreaterThanOrEqual(1);
      expect(pushed).toEqual([message]);
    });

    it("when the same clientId is sent again, then the original comes back and nothing new is stored", async () => {
      const clientId = randomUUID();
      const first = await send(alice, bob, "once", clientId);
      const again = await send(alice, bob, " once ", clientId);
      expect(again.created).toBe(false);
      expect(again.message).toEqual(first.message);
      const [{ count }] = (await db.query<{ count: number }>("select count(*)::int as count from messages where client_id = $1", [
        clientId,
      ])) as [{ count: number }];
      expect(count).toBe(1);
    });

    it("when many retries of one clientId race, then exactly one message is stored", async () => {
      const clientId = randomUUID();
      const results = await Promise.all(Array.from({ length: 8 }, () => send(bob, carol, "race", clientId)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
      // The losers gave their positions back: the next message follows without a gap.
      const next = await send(bob, carol, "after the race");
      expect(next.message.seq).toBe(results[0]!.message.seq + 1);
    });

    it("when the same clientId comes with other content or another recipient, then 409 client_id_conflict and nothing is stored or pushed", async () => {
      const clientId = randomUUID();
      const first = await send(alice, bob, "the original", clientId);
      pushed = [];
      await expect(send(alice, bob, "the original, edited", clientId)).rejects.toMatchObject({ status: 409, code: "client_id_conflict" });
      await expect(send(alice, carol, "the original", clientId)).rejects.toMatchObject({ status: 409, code: "client_id_conflict" });
      expect(pushed).toEqual([]);
      const stored = await db.query<{ id: string }>("select id from messages where sender_id = $1 and client_id = $2", [alice, clientId]);
      expect(stored).toEqual([{ id: first.message.id }]);
    });

    it("when the app's send limit is spent, then a repeat still answers but a conflicting clientId is 409", async () => {
      const overLimit: RateLimits = {
        consume: () => Promise.reject(new DomainError(429, "rate_limited", "slow down", undefined, { "retry-after": "5" })),
      };
      const limited = { ...deps, limits: overLimit };
      const clientId = randomUUID();
      const first = await send(carol, bob, "before the limit", clientId);
      const input = (content: string) => sendMessageSchema.parse({ recipientId: bob, content, clientId });
      expect(await sendMessage(limited, carol, input("before the limit"))).toEqual({ message: first.message, created: false });
      await expect(sendMessage(limited, carol, input("other words"))).rejects.toMatchObject({ status: 409, code: "client_id_conflict" });
      await expect(sendMessage(limited, carol, { ...input("x"), clientId: randomUUID() })).rejects.toMatchObject({ status: 429 });
    });

    it.each([["   "], ["\u200b\u200b"], ["\u00a0\u2060\ufeff\t"]])(
      "when the content %j is blank or invisible, then the schema refuses it on path content (422)",
      (content) => {
        const result = sendMessageSchema.safeParse({ recipientId: bob, content, clientId: randomUUID() });
        expect(result.success).toBe(false);
        expect(result.error?.issues.map((issue) => issue.path.join("."))).toEqual(["content"]);
      },
    );

    it("when invisible-only content reaches the store past the schema, then the SQL refuses it: 422 validation_failed on content", async () => {
      const error = await deps.store
        .insertMessage(alice, { recipientId: bob, content: "\u200b \u200d", clientId: randomUUID() })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({
        status: 422,
        code: "validation_failed",
        details: [{ path: "content", message: "content must not be only invisible characters" }],
      });
    });

    it("when a user sends past the store's send limit, then the SQL answers 429 rate_limited with Retry-After", async () => {
      const store = createSqlChatStore(db, { sendLimit: { points: 2, durationSeconds: 30 } });
      const ken = await createUser(db, "ken@example.com");
      const limitedDeps = { ...deps, store };
      const input = () => sendMessageSchema.parse({ recipientId: bob, content: "hi", clientId: randomUUID() });
      await sendMessage(limitedDeps, ken, input());
      await sendMessage(limitedDeps, ken, input());
      const error = await sendMessage(limitedDeps, ken, input()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ status: 429, code: "rate_limited" });
      const retryAfter = Number((error as DomainError).headers?.["retry-after"]);
      expect(retryAfter).toBeGreaterThanOrEqual(28);
      expect(retryAfter).toBeLessThanOrEqual(30);
    });

    it("when a display name breaks the rules past the schema, then the SQL refuses it: 422 on displayName", async () => {
      await expect(deps.store.updateProfile(carol, "x".repeat(81))).rejects.toMatchObject({
        status: 422,
        code: "validation_failed",
        details: [{ path: "displayName" }],
      });
      expect((await deps.store.updateProfile(carol, "  Carol  ")).displayName).toBe("Carol");
      expect((await deps.store.updateProfile(carol, null)).displayName).toBeNull();
    });

    it("when two senders use the same clientId, then both messages are stored (the key is per sender)", async () => {
      const clientId = randomUUID();
      const a = await send(alice, carol, "from alice", clientId);
      const c = await send(carol, alice, "from carol", clientId);
      expect(a.created && c.created).toBe(true);
      expect(a.message.id).not.toBe(c.message.id);
    });

    it("when the recipient does not exist, then user_not_found (404) and nothing is stored or pushed", async () => {
      await expect(send(alice, randomUUID(), "hello?")).rejects.toMatchObject({ status: 404, code: "user_not_found" });
      expect(pushed).toEqual([]);
    });

    it("when a user writes to themselves, then cannot_message_self (400)", async () => {
      const error = await send(alice, alice, "me").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ status: 400, code: "cannot_message_self" });
    });
  });

  describe("history", () => {
    let dave: string;
    let erin: string;
    const sent: ChatMessage[] = [];

    beforeAll(async () => {
      dave = await createUser(db, "dave@example.com");
      erin = await createUser(db, "erin@example.com");
      for (let i = 1; i <= 7; i++) sent.push((await send(i % 2 ? dave : erin, i % 2 ? erin : dave, `m${i}`)).message);
    });

    it("when paging back with before, then pages are oldest first and chain to the start", async () => {
      const page1 = await history(dave, { with: erin, limit: "3" });
      expect(page1.messages.map((m) => m.content)).toEqual(["m5", "m6", "m7"]);
      expect(page1.nextBefore).toBe(sent[4]!.id);
      const page2 = await history(dave, { with: erin, limit: "3", before: page1.nextBefore! });
      expect(page2.messages.map((m) => m.content)).toEqual(["m2", "m3", "m4"]);
      const page3 = await history(dave, { with: erin, limit: "3", before: page2.nextBefore! });
      expect(page3.messages.map((m) => m.content)).toEqual(["m1"]);
      expect(page3.nextBefore).toBeNull();
    });

    it("when catching up with after, then only later messages come, oldest first", async () => {
      const page = await history(erin, { with: dave, after: sent[4]!.id });
      expect(page.messages.map((m) => m.content)).toEqual(["m6", "m7"]);
      expect(page.nextBefore).toBeNull();
    });

    it("when limit is out of range, then it is clamped to 1..100", async () => {
      expect((await history(dave, { with: erin, limit: "0" })).messages).toHaveLength(1);
      expect((await history(dave, { with: erin, limit: "-5" })).messages).toHaveLength(1);
      expect((await history(dave, { with: erin, limit: "100000" })).messages).toHaveLength(7);
    });

    it("when a cursor belongs to another conversation, then invalid_cursor (400)", async () => {
      const other = (await send(alice, bob, "elsewhere")).message;
      await expect(history(dave, { with: erin, before: other.id })).rejects.toMatchObject({ status: 400, code: "invalid_cursor" });
    });

    it("when a third user asks for a conversation they are not in, then row level security shows them nothing", async () => {
      // carol asks for "her" conversation with erin: it does not exist, and dave's cannot leak.
      expect((await history(carol, { with: erin })).messages).toEqual([]);
      const page = await deps.store.listMessages(carol, { peerId: dave, limit: 100 });
      expect(page).toEqual({ json: "[]", count: 0, firstId: null });
      const direct = await import("@/server/store/sql/client").then(({ asUser }) =>
        asUser(db, carol, (tx) => tx.query("select * from messages where conversation_id = $1", [sent[0]!.conversationId])),
      );
      expect(direct).toEqual([]);
    });

    it("when a user forges the sender through SQL, then row level security refuses it", async () => {
      const { asUser } = await import("@/server/store/sql/client");
      await expect(
        asUser(db, carol, (tx) =>
          tx.query("insert into messages (sender_id, recipient_id, content, client_id) values ($1, $2, 'forged', $3)", [
            dave,
            erin,
            randomUUID(),
          ]),
        ),
      ).rejects.toMatchObject({ code: "42501" });
    });
  });

  describe("ordering under concurrency", () => {
    it("when many sends race in one conversation, then positions are unique, increasing in commit order, and after= misses none", async () => {
      const frank = await createUser(db, "frank@example.com");
      const gina = await createUser(db, "gina@example.com");
      const seen = new Map<string, ChatMessage>();
      let cursor: string | undefined;
      const catchUp = async () => {
        for (;;) {
          const page = await history(frank, cursor ? { with: gina, after: cursor, limit: "100" } : { with: gina, limit: "100" });
          for (const m of page.messages) seen.set(m.id, m);
          if (page.messages.length === 0) return;
          cursor = page.messages.at(-1)!.id;
          if (page.messages.length < 100) return;
        }
      };
      const sends = Array.from({ length: 60 }, (_, i) => send(i % 2 ? frank : gina, i % 2 ? gina : frank, `c${i}`));
      const readers = Array.from({ length: 10 }, () => catchUp());
      const results = await Promise.all(sends);
      await Promise.all(readers);
      await catchUp();
      const seqs = results.map((r) => r.message.seq).sort((a, b) => a - b);
      expect(new Set(seqs).size).toBe(60);
      expect(seen.size).toBe(60);
      const ordered = [...seen.values()].sort((a, b) => a.seq - b.seq);
      expect(ordered.map((m) => m.seq)).toEqual(seqs);
    });
  });

  describe("conversations and users", () => {
    it("when listing conversations, then each peer appears once with the last message, newest first", async () => {
      const hank = await createUser(db, "hank@example.com");
      const ivy = await createUser(db, "ivy@example.com");
      const jo = await createUser(db, "jo@example.com");
      await send(hank, ivy, "first to ivy");
      await send(jo, hank, "from jo");
      await send(ivy, hank, "last from ivy");
      const list = await listConversations(deps, hank);
      expect(list.map((c) => [c.peer?.email, c.lastMessage.content])).toEqual([
        ["ivy@example.com", "last from ivy"],
        ["jo@example.com", "from jo"],
      ]);
    });

    it("when searching by email prefix, then only people one has a conversation with match, without the searcher; wildcards are literal", async () => {
      await createUser(db, "bobby@example.com");
      expect((await searchUsers(deps, alice, "B")).map((u) => u.email)).toEqual(["bob@example.com"]);
      expect(await searchUsers(deps, alice, "alice")).toEqual([]);
      expect(await searchUsers(deps, alice, "%")).toEqual([]);
      expect(await searchUsers(deps, alice, "_ob")).toEqual([]);
    });

    it("when searching by an exact email address, then a stranger is found (case-insensitive), and only then", async () => {
      const stranger = await createUser(db, "stranger@example.com");
      expect(await searchUsers(deps, alice, "strang")).toEqual([]);
      expect(await searchUsers(deps, alice, "Stranger@Example.com")).toEqual([
        { id: stranger, email: "stranger@example.com", displayName: null },
      ]);
      expect(await searchUsers(deps, alice, "alice@example.com")).toEqual([]);
    });

    it("when a user searches past the usersSearch limit, then 429 rate_limited with Retry-After", async () => {
      const limits = createRateLimits({ ...noLimits, usersSearch: { points: 2, durationSeconds: 60 } });
      await searchUsers({ ...deps, limits }, alice, "bob@example.com");
      await searchUsers({ ...deps, limits }, alice, "bob@example.com");
      const error = await searchUsers({ ...deps, limits }, alice, "bob@example.com").catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 429, code: "rate_limited", headers: { "retry-after": "60" } });
      // The budget is per user.
      expect(await searchUsers({ ...deps, limits }, bob, "alice@example.com")).toHaveLength(1);
    });
  });
});
