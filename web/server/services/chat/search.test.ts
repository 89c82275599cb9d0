import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SearchPage } from "@/lib/types";
import { createConversationSchema, sendMessageSchema } from "@/lib/validations/chat";
import { searchQuerySchema } from "@/lib/validations/search";
import type { RealtimePush } from "@/server/realtime/push";
import { unlimited } from "@/server/rate-limit";
import { createSqlChatStore } from "@/server/store/sql-chat-store";
import type { SqlClient } from "@/server/store/sql/client";
import { createUser, openTestDatabase } from "@/test/support/db";
import { notePostgresSkip, openPostgresTestDatabase, TEST_DATABASE_URL } from "@/test/support/postgres";
import { createConversation, deleteMessage, editMessage, searchMessages, sendMessage } from ".";

// Message search on one SQL store, two drivers: the embedded PGlite and a real Postgres.
const drivers = [
  { name: "embedded PGlite", open: openTestDatabase, skip: false },
  { name: "Postgres (pg)", open: openPostgresTestDatabase, skip: !TEST_DATABASE_URL },
];
notePostgresSkip("message search on Postgres");

const noPush: RealtimePush = {
  messageCreated: () => {},
  messageChanged: () => {},
  readUpdated: () => {},
  conversationUpdated: () => {},
  sessionRevoked: () => {},
};

/** The highlight with the markers shown as [ and ]. */
const marked = (highlight: string) => highlight.replaceAll("\uE000", "[").replaceAll("\uE001", "]");

describe.each(drivers)("message search on $name", ({ open, skip }) => {
  if (skip) {
    it.skip("needs TEST_DATABASE_URL", () => {});
    return;
  }

  let db: SqlClient;
  let close: () => Promise<void>;
  let deps: { store: ReturnType<typeof createSqlChatStore>; push: RealtimePush; limits: typeof unlimited };
  let n = 0;
  const user = (name: string) => createUser(db, `${name}-${++n}@search.example`);

  beforeAll(async () => {
    ({ db, close } = await open());
    deps = { store: createSqlChatStore(db, { sendLimit: { points: 100_000, durationSeconds: 1 } }), push: noPush, limits: unlimited };
  });
  afterAll(() => close());

  const say = (from: string, to: string, content: string) =>
    sendMessage(deps, from, sendMessageSchema.parse({ recipientId: to, content, clientId: randomUUID() })).then((r) => r.message);
  const sayIn = (from: string, conversationId: string, content: string) =>
    sendMessage(deps, from, sendMessageSchema.parse({ conversationId, content, clientId: randomUUID() })).then((r) => r.message);
  const search = (userId: string, query: Record<string, string>): Promise<SearchPage> =>
    searchMessages(deps, userId, searchQuerySchema.parse(query));
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (error: { status?: number; code?: string }) => ({ status: error.status, code: error.code }),
    );

  it("when a member searches, then matches of their conversations come back highlighted, words matched as prefixes in any case", async () => {
    const [ann, bob] = [await user("ann"), await user("bob")];
    const hit = await say(ann, bob, "Shall we MEET for the Zebrafish meeting tomorrow?");
    await say(bob, ann, "zebrafish are not mentioned with the other word here");

    const page = await search(bob, { q: "zebra meet" });
    expect(page.results.map((r) => r.message.id)).toEqual([hit.id]);
    expect(page.results[0]).toMatchObject({ message: { content: hit.content, senderId: ann, conversationId: hit.conversationId } });
    expect(marked(page.results[0]!.highlight)).toBe("Shall we [MEET] for the [Zebrafish] [meeting] tomorrow?");
    expect(page.next).toBeNull();
  });

  it("when a stranger searches for words only others wrote, then they find nothing; naming the conversation is 404", async () => {
    const [ann, bob, eve] = [await user("ann"), await user("bob"), await user("eve")];
    const secret = await say(ann, bob, "the vault code is quokkasecret");
    expect((await search(eve, { q: "quokkasecret" })).results).toEqual([]);
    expect(await failure(search(eve, { q: "quokkasecret", conversationId: secret.conversationId }))).toEqual({
      status: 404,
      code: "conversation_not_found",
    });
    expect((await search(bob, { q: "quokkasecret" })).results).toHaveLength(1);
  });

  it("when a member leaves a group, then its messages are no longer found", async () => {
    const [owner, max, nina] = [await user("owner"), await user("max"), await user("nina")];
    const group = await createConversation(
      deps,
      owner,
      createConversationSchema.parse({ kind: "group", name: "Birds", memberIds: [max, nina] }),
    );
    await sayIn(owner, group.id, "the pelicanword is here");
    expect((await search(nina, { q: "pelicanword" })).results).toHaveLength(1);
    await deps.store.removeMember(nina, group.id, nina);
    expect((await search(nina, { q: "pelicanword" })).results).toEqual([]);
  });

  it("when a message is edited or deleted, then search finds its new text, and nothing of a deleted one", async () => {
    const [ann, bob] = [await user("ann"), await user("bob")];
    const edited = await say(ann, bob, "the old ibexword text");
    const deleted = await say(ann, bob, "soon gone ibexword");
    await editMessage(deps, ann, edited.id, { content: "the new chamoisword text" });
    await deleteMessage(deps, ann, deleted.id);

    expect((await search(bob, { q: "ibexword" })).results).toEqual([]);
    const [hit] = (await search(bob, { q: "chamoisword" })).results;
    expect(hit?.message).toMatchObject({ id: edited.id, content: "the new chamoisword text", editedAt: expect.any(String), reactions: [] });
  });

  it("when several messages match, then more occurrences rank higher and equal ranks come newest first", async () => {
    const [ann, bob] = [await user("ann"), await user("bob")];
    const once = await say(ann, bob, "one wombatrank here");
    const thrice = await say(bob, ann, "wombatrank wombatrank wombatrank");
    const onceLater = await say(ann, bob, "another wombatrank there");
    const page = await search(ann, { q: "wombatrank" });
    expect(page.results.map((r) => r.message.id)).toEqual([thrice.id, onceLater.id, once.id]);
    expect(page.results[0]!.rank).toBeGreaterThan(page.results[1]!.rank);
  });

  it("when results fill several pages, then following next visits each exactly once, and a conversation narrows them", async () => {
    const [ann, bob, cid] = [await user("ann"), await user("bob"), await user("cid")];
    const withBob = [];
    for (let i = 0; i < 7; i += 1) withBob.push(await say(ann, bob, `capybarapage number ${i}${" filler".repeat(i % 3)}`));
    const withCid = await say(cid, ann, "capybarapage from cid");

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: SearchPage = await search(ann, { q: "capybarapage", limit: "3", ...(cursor ? { cursor } : {}) });
      expect(page.results.length).toBeLessThanOrEqual(3);
      seen.push(...page.results.map((r) => r.message.id));
      cursor = page.next;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(8);
    expect(seen.sort()).toEqual([...withBob.map((m) => m.id), withCid.id].sort());

    const narrowed = await search(ann, { q: "capybarapage", conversationId: withCid.conversationId });
    expect(narrowed.results.map((r) => r.message.id)).toEqual([withCid.id]);
  });

  it("when the query is only punctuation, has operators or quotes, or the text holds the markers, then nothing breaks", async () => {
    const [ann, bob] = [await user("ann"), await user("bob")];
    const tricky = await say(ann, bob, "it's a \\ back\\slash: platypusq \uE000fake\uE001 <b>tag</b>");
    expect((await search(ann, { q: "!!! &&& ::" })).results).toEqual([]);
    for (const q of ["platypusq & | ! ( ) :* <->", "'platypusq'", "\\ platypusq", "it's platypusq"]) {
      expect((await search(ann, { q })).results.map((r) => r.message.id)).toEqual([tricky.id]);
    }
    const [hit] = (await search(ann, { q: "fake" })).results;
    expect(marked(hit!.highlight)).toBe("it's a \\ back\\slash: platypusq [fake] <b>tag</b>");
  });

  it("when the search is multilingual, then words in any script are found by their beginning", async () => {
    const [ann, bob] = [await user("ann"), await user("bob")];
    const german = await say(ann, bob, "Grüße aus Köln, bis morgen");
    const russian = await say(bob, ann, "Привет, как дела?");
    expect((await search(ann, { q: "GRÜSSE" })).results).toEqual([]);
    expect((await search(ann, { q: "grü köl" })).results.map((r) => r.message.id)).toEqual([german.id]);
    expect((await search(ann, { q: "привет" })).results.map((r) => r.message.id)).toEqual([russian.id]);
  });
});
