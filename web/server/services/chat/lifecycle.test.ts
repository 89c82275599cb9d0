import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changeSchema, type Change } from "socket-server/contract";
import type { ChatMessage } from "@/lib/types";
import { changesQuerySchema, editMessageSchema, emojiSchema, sendMessageSchema } from "@/lib/validations/chat";
import type { RealtimePush } from "@/server/realtime/push";
import { createRateLimits, unlimited } from "@/server/rate-limit";
import { everyRateLimit } from "@/test/support/rate-limits";
import { createSqlChatStore } from "@/server/store/sql-chat-store";
import type { SqlClient } from "@/server/store/sql/client";
import { createUser, openTestDatabase } from "@/test/support/db";
import { notePostgresSkip, openPostgresTestDatabase, TEST_DATABASE_URL } from "@/test/support/postgres";
import { createConversation, deleteMessage, editMessage, getChanges, getHistory, sendMessage, setReaction } from ".";

// Edits, deletions, reactions, replies and the change stream, through the services on both SQL
// drivers (Supabase runs the same functions through PostgREST: see supabase-mode.test.ts).
const drivers = [
  { name: "embedded PGlite", open: openTestDatabase, skip: false },
  { name: "Postgres (pg)", open: openPostgresTestDatabase, skip: !TEST_DATABASE_URL },
];
notePostgresSkip("message lifecycle on Postgres");

describe.each(drivers)("message lifecycle on $name", ({ open, skip }) => {
  if (skip) {
    it.skip("needs TEST_DATABASE_URL", () => {});
    return;
  }

  let db: SqlClient;
  let close: () => Promise<void>;
  let changed: ChatMessage[] = [];
  let deps: { store: ReturnType<typeof createSqlChatStore>; push: RealtimePush; limits: typeof unlimited };
  let n = 0;
  const user = (name: string) => createUser(db, `${name}-${++n}@lifecycle.example`);

  beforeAll(async () => {
    ({ db, close } = await open());
    deps = {
      store: createSqlChatStore(db, { sendLimit: { points: 100_000, durationSeconds: 1 } }),
      push: {
        messageCreated: () => {},
        messageChanged: (message) => changed.push(message),
        readUpdated: () => {},
        conversationUpdated: () => {},
        sessionRevoked: () => {},
      },
      limits: unlimited,
    };
  });
  afterAll(() => close());

  const send = async (from: string, to: { recipientId: string } | { conversationId: string }, content: string, replyToId?: string) =>
    (await sendMessage(deps, from, sendMessageSchema.parse({ ...to, content, clientId: randomUUID(), replyToId }))).message;
  const edit = (userId: string, id: string, content: string) => editMessage(deps, userId, id, editMessageSchema.parse({ content }));
  const react = (userId: string, id: string, emoji: string, on = true) => setReaction(deps, userId, id, emojiSchema.parse(emoji), on);
  const changes = (userId: string, query: Record<string, string>) => getChanges(deps, userId, changesQuerySchema.parse(query));
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (error: { status?: number; code?: string }) => ({ status: error.status, code: error.code }),
    );
  const outboxChanges = async (conversationId: string) =>
    (
      await db.query<{ push_id: string; payload: Change & { to?: string[] } }>(
        "select push_id, payload from public.push_outbox where type = 'message.changed' and payload ->> 'conversationId' = $1 order by id",
        [conversationId],
      )
    ).map((row) => ({ pushId: row.push_id, ...(typeof row.payload === "string" ? JSON.parse(row.payload) : row.payload) }));

  it("when a sender edits their message, then the text, editedAt and the next pos change, and one message.changed push is written", async () => {
    const [ann, bob] = [await user("ann"), await user("bob")];
    const message = await send(ann, { recipientId: bob }, "helo");
    expect(message).toMatchObject({ pos: 1, editedAt: null, deletedAt: null, replyTo: null, reactions: [], attachments: [] });
    changed = [];

    const edited = await edit(ann, message.id, "  hello  ");
    expect(edited).toMatchObject({ id: message.id, content: "hello", seq: message.seq, pos: 1 });
    expect(Date.parse(edited.editedAt!)).toBeGreaterThanOrEqual(Date.parse(message.createdAt));
    expect(changed).toEqual([edited]);
    const pushes = await outboxChanges(message.conversationId);
    expect(pushes).toEqual([
      expect.objectContaining({ pushId: `chg_${message.conversationId}_2`, pos: 2, type: "message.edited", actorId: ann, emoji: null }),
    ]);
    expect(changeSchema.safeParse(pushes[0]).error?.issues ?? []).toEqual([]);
    expect(pushes[0]!.message).toEqual(edited);

    // The same text again: accepted, nothing recorded.
    await edit(ann, message.id, "hello");
    expect((await changes(bob, { with: ann })).lastPos).toBe(2);
    expect((await getHistory(deps, bob, { with: ann, limit: 50 })).messages).toEqual([edited]);
  });

  it("when someone edits another's message, a deleted one, a system message or one past the window, then it is refused and nothing changes", async () => {
    const [ann, bob, cat, dan] = [await user("ann"), await user("bob"), await user("cat"), await user("dan")];
    const mine = await send(ann, { recipientId: bob }, "mine");
    expect(await refusal(edit(bob, mine.id, "yours now"))).toEqual({ status: 403, code: "not_your_message" });
    expect(await refusal(edit(cat, mine.id, "a stranger's"))).toEqual({ status: 404, code: "message_not_found" });
    expect(await refusal(edit(ann, randomUUID(), "nothing"))).toEqual({ status: 404, code: "message_not_found" });
    // The SQL applies the content rules to callers that skip the schema (PostgREST).
    expect(await refusal(deps.store.editMessage(ann, mine.id, "\u200b"))).toEqual({ status: 422, code: "validation_failed" });

    const group = await createConversation(deps, ann, { kind: "group", name: "Crew", memberIds: [bob, dan] });
    const system = group.lastMessage;
    expect(await refusal(edit(ann, system.id, "renamed"))).toEqual({ status: 403, code: "not_your_message" });

    await deleteMessage(deps, ann, mine.id);
    expect(await refusal(edit(ann, mine.id, "back again"))).toEqual({ status: 409, code: "message_deleted" });

    const closed = { ...deps, store: createSqlChatStore(db, { editWindowSeconds: 0 }) };
    const late = await send(ann, { recipientId: bob }, "too late to fix");
    expect(await refusal(editMessage(closed, ann, late.id, { content: "fixed" }))).toEqual({ status: 422, code: "edit_window_closed" });
    expect((await getHistory(deps, ann, { with: bob, limit: 50 })).messages.map((m) => m.content)).toEqual(["", "too late to fix"]);
  });

  it("when a user edits, deletes and reacts past RATE_LIMIT_MESSAGE_ACTIONS, then 429 rate_limited and nothing more changes", async () => {
    const [ann, bob] = [await user("ann"), await user("bob")];
    const message = await send(ann, { recipientId: bob }, "limited");
    const rules = everyRateLimit({ points: 1_000_000, durationSeconds: 60 }, { messageActions: { points: 3, durationSeconds: 60 } });
    const limited = { ...deps, limits: createRateLimits(rules) };
    await editMessage(limited, ann, message.id, { content: "limited, edited" });
    await setReaction(limited, ann, message.id, "👍", true);
    await setReaction(limited, ann, message.id, "👍", false);
    const refused = [
      await refusal(setReaction(limited, ann, message.id, "🎉", true)),
      await refusal(editMessage(limited, ann, message.id, { content: "again" })),
      await refusal(deleteMessage(limited, ann, message.id)),
    ];
    expect(refused).toEqual(Array(3).fill({ status: 429, code: "rate_limited" }));
    // Another user's budget is their own.
    await setReaction(limited, bob, message.id, "🎉", true);
    const [stored] = (await getHistory(deps, bob, { with: ann, limit: 50 })).messages;
    expect([stored?.content, stored?.deletedAt, stored?.reactions?.map((r) => r.emoji)]).toEqual(["limited, edited", null, ["🎉"]]);
  });

  it("when a sender deletes a message, then it becomes a tombstone without reactions, idempotently, and only the sender may", async () => {
    const [ann, bob, cat] = [await user("ann"), await user("bob"), await user("cat")];
    const message = await send(ann, { recipientId: bob }, "regrettable");
    await react(bob, message.id, "😮");
    expect(await refusal(deleteMessage(deps, bob, message.id))).toEqual({ status: 403, code: "not_your_message" });
    expect(await refusal(deleteMessage(deps, cat, message.id))).toEqual({ status: 404, code: "message_not_found" });

    const tombstone = await deleteMessage(deps, ann, message.id);
    expect(tombstone).toMatchObject({ id: message.id, seq: message.seq, pos: message.pos, content: "", reactions: [], attachments: [] });
    expect(tombstone.deletedAt).not.toBeNull();
    expect(await deleteMessage(deps, ann, message.id)).toEqual(tombstone);
    const { changes: stream, lastPos } = await changes(bob, { with: ann });
    expect(stream.map((change) => change.type)).toEqual(["message.created", "reaction.added", "message.deleted"]);
    expect(lastPos).toBe(3);
    // Every change carries the message as it is now: the text is gone from all of them.
    expect(stream.map((change) => change.message.content)).toEqual(["", "", ""]);
    expect(await refusal(react(bob, message.id, "👍"))).toEqual({ status: 409, code: "message_deleted" });
  });

  it("when members react, then reactions toggle idempotently, count who reacted in order, and refuse strangers, system messages and a 21st emoji", async () => {
    const [ann, bob, cat, dan] = [await user("ann"), await user("bob"), await user("cat"), await user("dan")];
    const group = await createConversation(deps, ann, { kind: "group", name: "Fans", memberIds: [bob, dan] });
    const message = await send(bob, { conversationId: group.id }, "good news");

    await react(ann, message.id, "👍");
    await react(ann, message.id, "👍");
    await react(dan, message.id, "🎉");
    const both = await react(bob, message.id, "👍");
    expect(both.reactions).toEqual([
      { emoji: "👍", count: 2, userIds: [ann, bob] },
      { emoji: "🎉", count: 1, userIds: [dan] },
    ]);
    const back = await react(dan, message.id, "🎉", false);
    expect(back.reactions).toEqual([{ emoji: "👍", count: 2, userIds: [ann, bob] }]);
    await react(dan, message.id, "🎉", false);
    const { changes: stream } = await changes(ann, { conversationId: group.id, after: String(message.pos) });
    expect(stream.map((change) => [change.type, change.actorId, change.emoji])).toEqual([
      ["reaction.added", ann, "👍"],
      ["reaction.added", dan, "🎉"],
      ["reaction.added", bob, "👍"],
      ["reaction.removed", dan, "🎉"],
    ]);
    const pushes = await outboxChanges(group.id);
    expect(pushes.map((push) => push.to)).toEqual(Array(4).fill([ann, bob, dan].sort()));

    expect(await refusal(react(cat, message.id, "👎"))).toEqual({ status: 404, code: "message_not_found" });
    expect(await refusal(react(ann, group.lastMessage.id, "👍"))).toEqual({ status: 422, code: "system_message" });
    expect(await refusal(deps.store.setReaction(ann, message.id, "ok", true))).toEqual({ status: 422, code: "validation_failed" });
    const nineteen = [..."😀😁😂😃😄😅😆😇😈😉😊😋😌😍😎😏😐😑😒"];
    for (const emoji of nineteen) await react(ann, message.id, emoji);
    expect((await react(dan, message.id, "😀")).reactions).toHaveLength(20);
    expect(await refusal(react(dan, message.id, "😔"))).toEqual({ status: 422, code: "too_many_reactions" });
  });

  it("when a message replies to another, then it quotes it as it is now; a reply elsewhere is invalid_reply", async () => {
    const [ann, bob, cat] = [await user("ann"), await user("bob"), await user("cat")];
    const original = await send(ann, { recipientId: bob }, "what time?");
    const reply = await send(bob, { recipientId: ann }, "noon", original.id);
    expect(reply.replyTo).toEqual({ id: original.id, senderId: ann, excerpt: "what time?", attachmentCount: 0, deleted: false });

    const elsewhere = await send(ann, { recipientId: cat }, "other chat");
    expect(await refusal(send(bob, { recipientId: ann }, "wrong", elsewhere.id))).toEqual({ status: 422, code: "invalid_reply" });
    expect(await refusal(send(bob, { recipientId: ann }, "ghost", randomUUID()))).toEqual({ status: 422, code: "invalid_reply" });

    await edit(ann, original.id, "what time tomorrow?");
    await deleteMessage(deps, ann, original.id);
    const replyNow = (await getHistory(deps, bob, { with: ann, limit: 50 })).messages.find((m) => m.id === reply.id);
    expect(replyNow?.replyTo).toEqual({ id: original.id, senderId: ann, excerpt: "", attachmentCount: 0, deleted: true });
    const toTombstone = await send(bob, { recipientId: ann }, "it was deleted", original.id);
    expect(toTombstone.replyTo?.deleted).toBe(true);
  });

  it("when a client was away while messages were sent, edited, deleted and reacted to, then catching up from its last pos delivers each change once, in order, and ends at the server's state", async () => {
    const [ann, bob, dan] = [await user("ann"), await user("bob"), await user("dan")];
    const group = await createConversation(deps, ann, { kind: "group", name: "Away", memberIds: [bob, dan] });
    const first = await send(ann, { conversationId: group.id }, "before");
    // Dan's client has applied everything up to here.
    const seen = await changes(dan, { conversationId: group.id });
    const view = new Map(seen.changes.map((change) => [change.message.id, change.message]));
    let applied = seen.lastPos;

    // Meanwhile, three members act at once, many times over.
    const actors = [ann, bob, dan].map(async (actor, index) => {
      const mine: string[] = [];
      for (let round = 0; round < 6; round++) {
        const message = await send(actor, { conversationId: group.id }, `m${index}.${round}`);
        mine.push(message.id);
        await react(actor, first.id, ["👍", "🎉", "😂"][index]!, round % 2 === 0);
        if (round % 2 === 1) await edit(actor, mine[round - 1]!, `m${index}.${round - 1} (edited)`);
        if (round === 4) await deleteMessage(deps, actor, mine[1]!);
      }
    });
    // A reader pages the stream while the changes commit: whatever it sees has no gap.
    const reading = (async () => {
      let at = applied;
      for (let i = 0; i < 20; i++) {
        const page = await changes(dan, { conversationId: group.id, after: String(at), limit: "3" });
        page.changes.forEach((change, k) => expect(change.pos).toBe(at + k + 1));
        at = page.changes.at(-1)?.pos ?? at;
      }
    })();
    await Promise.all([...actors, reading]);

    // Catch-up, in small pages, as the client does.
    const positions: number[] = [];
    let page;
    do {
      page = await changes(dan, { conversationId: group.id, after: String(applied), limit: "7" });
      for (const change of page.changes) {
        expect(changeSchema.safeParse(change).error?.issues ?? []).toEqual([]);
        positions.push(change.pos);
        view.set(change.message.id, change.message);
        applied = change.pos;
      }
    } while (page.nextAfter !== null);

    expect(positions).toEqual(Array.from({ length: positions.length }, (_, i) => seen.lastPos + i + 1));
    expect(applied).toBe(page.lastPos);
    // 18 messages, 18 reaction changes, 9 edits, 3 deletions.
    expect(positions).toHaveLength(48);
    const server = (await getHistory(deps, dan, { conversation: group.id, limit: 100 })).messages;
    expect([...view.values()].sort((a, b) => a.seq - b.seq)).toEqual(server);
    expect(server.filter((message) => message.deletedAt).map((message) => message.content)).toEqual(["", "", ""]);
    expect(server.filter((message) => message.editedAt)).toHaveLength(9);
  });

  it("when changes are read by peer, by an outsider or page by page, then the answers follow the stream's rules", async () => {
    const [ann, bob, cat] = [await user("ann"), await user("bob"), await user("cat")];
    expect(await changes(ann, { with: bob })).toEqual({ changes: [], nextAfter: null, lastPos: 0 });
    const message = await send(ann, { recipientId: bob }, "one");
    await send(bob, { recipientId: ann }, "two");
    await react(bob, message.id, "👍");
    const first = await changes(bob, { with: ann, limit: "2" });
    expect(first).toMatchObject({ nextAfter: 2, lastPos: 3 });
    const rest = await changes(bob, { conversationId: message.conversationId, after: "2", limit: "2" });
    expect(rest).toMatchObject({ nextAfter: null, lastPos: 3 });
    expect(rest.changes.map((change) => change.pos)).toEqual([3]);
    expect(await refusal(changes(cat, { conversationId: message.conversationId }))).toEqual({
      status: 404,
      code: "conversation_not_found",
    });
    expect(await changes(cat, { with: ann })).toEqual({ changes: [], nextAfter: null, lastPos: 0 });
    expect((await changes(ann, { with: ann })).lastPos).toBe(0);
  });
});
