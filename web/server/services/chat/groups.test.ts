import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ChatMessage, ConversationUpdate } from "@/lib/types";
import { addMembersSchema, createConversationSchema, historyQuerySchema, markReadSchema, sendMessageSchema } from "@/lib/validations/chat";
import { createSqlOutboxSource } from "@/server/realtime/outbox";
import type { RealtimePush } from "@/server/realtime/push";
import { unlimited } from "@/server/rate-limit";
import { createSqlChatStore } from "@/server/store/sql-chat-store";
import type { SqlClient } from "@/server/store/sql/client";
import { createUser, openTestDatabase } from "@/test/support/db";
import { notePostgresSkip, openPostgresTestDatabase, TEST_DATABASE_URL } from "@/test/support/postgres";
import {
  addMembers,
  createConversation,
  getConversation,
  getHistory,
  listConversations,
  markRead,
  removeMember,
  sendMessage,
  updateConversation,
} from ".";

// Groups on one SQL store, two drivers: the embedded PGlite and a real Postgres.
const drivers = [
  { name: "embedded PGlite", open: openTestDatabase, skip: false },
  { name: "Postgres (pg)", open: openPostgresTestDatabase, skip: !TEST_DATABASE_URL },
];
notePostgresSkip("group services on Postgres");

describe.each(drivers)("group services on $name", ({ open, skip }) => {
  if (skip) {
    it.skip("needs TEST_DATABASE_URL", () => {});
    return;
  }

  let db: SqlClient;
  let close: () => Promise<void>;
  let updates: { update: ConversationUpdate; to: string[] }[];
  let deps: { store: ReturnType<typeof createSqlChatStore>; push: RealtimePush; limits: typeof unlimited };
  let n = 0;
  const user = (name: string) => createUser(db, `${name}-${++n}@groups.example`);
  const users = (count: number, name: string) => Promise.all(Array.from({ length: count }, (_, i) => user(`${name}${i}`)));

  beforeAll(async () => {
    ({ db, close } = await open());
    // The send limit stays out of the way of the concurrency tests (the SQL enforces it too).
    const store = createSqlChatStore(db, { sendLimit: { points: 100_000, durationSeconds: 1 }, groupMaxMembers: 8 });
    deps = {
      store,
      push: {
        messageCreated: () => {},
        messageChanged: () => {},
        readUpdated: () => {},
        conversationUpdated: (update, to) => updates.push({ update, to }),
        sessionRevoked: () => {},
      },
      limits: unlimited,
    };
  });
  afterAll(() => close());
  beforeEach(() => {
    updates = [];
  });

  const create = (owner: string, memberIds: string[], name = "Team") =>
    createConversation(deps, owner, createConversationSchema.parse({ kind: "group", name, memberIds }));
  const say = (from: string, conversationId: string, content: string, clientId = randomUUID()) =>
    sendMessage(deps, from, sendMessageSchema.parse({ conversationId, content, clientId }));
  const history = (userId: string, query: Record<string, string>) => getHistory(deps, userId, historyQuerySchema.parse(query));
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (error: { status?: number; code?: string }) => ({ status: error.status, code: error.code }),
    );

  it("when a group is created, then the creator owns it, everyone is listed and its timeline starts with group_created", async () => {
    const [olga, max, nina] = await users(3, "create");
    const detail = await create(olga!, [max!, nina!, max!], "  Trip  ");
    expect(detail).toMatchObject({ kind: "group", name: "Trip", peer: null, role: "owner", members: { count: 3 }, unreadCount: 0 });
    expect(detail.memberList.map((m) => [m.user.id, m.role])).toEqual([
      [olga, "owner"],
      ...[max!, nina!].sort().map((id) => [id, "member"]),
    ]);
    expect(detail.lastMessage).toMatchObject({
      seq: 1,
      kind: "system",
      content: "",
      senderId: olga,
      recipientId: null,
      system: { event: "group_created", actorId: olga, userIds: [max!, nina!].sort(), name: "Trip" },
    });
    expect(updates).toEqual([{ update: expect.objectContaining({ conversationId: detail.id, removedIds: [] }), to: expect.any(Array) }]);

    const [forMax] = await listConversations(deps, max!);
    expect(forMax).toMatchObject({ id: detail.id, role: "member", unreadCount: 1, peerLastReadSeq: 0 });
    expect(forMax!.readStates.map((s) => s.userId).sort()).toEqual([olga!, nina!].sort());
  });

  it("when a group would be too small or too large or name an unknown user, then 422 or 404 and nothing is stored", async () => {
    const [olga, max, ...rest] = await users(9, "limits");
    expect(await failure(create(olga!, [max!]))).toEqual({ status: 422, code: "group_too_small" });
    expect(await failure(create(olga!, [max!, olga!]))).toEqual({ status: 422, code: "group_too_small" });
    // groupMaxMembers is 8 in this store: the creator and 8 others are 9.
    expect(await failure(create(olga!, [max!, ...rest]))).toEqual({ status: 422, code: "group_too_large" });
    expect(await failure(create(olga!, [max!, randomUUID()]))).toEqual({ status: 404, code: "user_not_found" });
    expect(await listConversations(deps, olga!)).toEqual([]);

    const group = await create(olga!, [max!, rest[0]!]);
    expect(await failure(addMembers(deps, olga!, group.id, { userIds: rest }))).toEqual({ status: 422, code: "group_too_large" });
    const grown = await addMembers(deps, olga!, group.id, addMembersSchema.parse({ userIds: [max!, ...rest.slice(0, 6)] }));
    expect(grown.members.count).toBe(8);
    expect(grown.lastMessage.system).toMatchObject({ event: "member_added", userIds: rest.slice(1, 6).sort() });
  });

  it("when five and more members send at once while others catch up, then seq is gapless in commit order and after= misses none", async () => {
    const [owner, ...others] = await users(7, "race");
    const group = await create(owner!, others);
    const senders = [owner!, ...others];
    // Each reader pages with after= and checks every page continues exactly where it left off:
    // a message committing after one with a higher seq would show up as a gap.
    const reader = (userId: string) => {
      const seen: ChatMessage[] = [];
      let stop = false;
      const run = async () => {
        while (!stop) {
          const last = seen.at(-1);
          const page = await history(userId, { conversation: group.id, limit: "100", ...(last ? { after: last.id } : {}) });
          for (const message of page.messages) {
            expect(message.seq).toBe((seen.at(-1)?.seq ?? 0) + 1);
            seen.push(message);
          }
        }
      };
      return { seen, done: run(), stop: () => (stop = true) };
    };
    const readers = [reader(others[0]!), reader(others[1]!)];
    const perSender = 12;
    const retried = randomUUID();
    const results = await Promise.all([
      ...senders.flatMap((from, s) => Array.from({ length: perSender }, (_, i) => say(from, group.id, `m${s}-${i}`))),
      // Retries of one clientId racing the rest: stored once, no position burnt.
      ...Array.from({ length: 6 }, () => say(others[2]!, group.id, "once", retried)),
    ]);
    for (const r of readers) r.stop();
    await Promise.all(readers.map((r) => r.done));

    const created = results.filter((r) => r.created);
    expect(created).toHaveLength(senders.length * perSender + 1);
    expect(new Set(results.filter((r) => r.message.clientId === retried).map((r) => r.message.id)).size).toBe(1);
    const total = 1 + created.length; // group_created, then every stored message
    expect(created.map((r) => r.message.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: created.length }, (_, i) => i + 2));

    // A final catch-up from scratch sees every message once, gapless.
    const all: ChatMessage[] = [];
    for (;;) {
      const page = await history(owner!, { conversation: group.id, limit: "100", ...(all.length ? { after: all.at(-1)!.id } : {}) });
      all.push(...page.messages);
      if (page.messages.length < 100) break;
    }
    expect(all.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    for (const r of readers) expect(r.seen.map((m) => m.seq)).toEqual(all.slice(0, r.seen.length).map((m) => m.seq));
    // Paging back from the newest reaches the start too.
    const newest = await history(others[3]!, { conversation: group.id, limit: "50" });
    expect(newest.messages.at(-1)!.seq).toBe(total);
    expect(newest.nextBefore).toBe(newest.messages[0]!.id);
  });

  it("when the same clientId comes again or with other content or to a person, then the original or 409", async () => {
    const [olga, max, nina] = await users(3, "idem");
    const group = await create(olga!, [max!, nina!]);
    const clientId = randomUUID();
    const first = await say(max!, group.id, "hello", clientId);
    expect(first.message).toMatchObject({ conversationId: group.id, recipientId: null, kind: "text", system: null, seq: 2 });
    expect(await say(max!, group.id, " hello ", clientId)).toEqual({ message: first.message, created: false });
    expect(await failure(say(max!, group.id, "other", clientId))).toEqual({ status: 409, code: "client_id_conflict" });
    const toNina = sendMessageSchema.parse({ recipientId: nina, content: "hello", clientId });
    expect(await failure(sendMessage(deps, max!, toNina))).toEqual({ status: 409, code: "client_id_conflict" });
  });

  it("when a removal races sends, then the removed member's messages all come before it and none after", async () => {
    const [olga, max, nina, pete] = await users(4, "removal");
    const group = await create(olga!, [max!, nina!, pete!]);
    const sends = Array.from({ length: 30 }, (_, i) => failure(say(pete!, group.id, `p${i}`)));
    const removal = removeMember(deps, olga!, group.id, pete!);
    const outcomes = await Promise.all(sends);
    const after = await removal;
    expect("memberList" in after && after.memberList.map((m) => m.user.id)).not.toContain(pete);
    expect(outcomes.filter(Boolean).every((o) => o?.code === "conversation_not_found")).toBe(true);

    const page = await history(olga!, { conversation: group.id, limit: "100" });
    const removedAt = page.messages.find((m) => m.system?.event === "member_removed")!.seq;
    const petes = page.messages.filter((m) => m.senderId === pete && m.kind === "text");
    expect(petes.length).toBe(outcomes.filter((o) => o === null).length);
    expect(petes.every((m) => m.seq < removedAt)).toBe(true);
    expect(page.messages.map((m) => m.seq)).toEqual(page.messages.map((_, i) => i + 1));
  });

  it("when a member is removed, then they lose the whole conversation: list, detail, history, send and read are 404", async () => {
    const [olga, max, nina, pete] = await users(4, "gone");
    const group = await create(olga!, [max!, nina!, pete!]);
    await say(pete!, group.id, "before");
    const after = await removeMember(deps, olga!, group.id, pete!);
    expect(after).toMatchObject({ members: { count: 3 } });
    expect(updates.at(-1)).toEqual({
      update: { conversationId: group.id, name: "Team", memberIds: expect.any(Array), removedIds: [pete] },
      to: expect.arrayContaining([olga, max, nina, pete]),
    });

    expect(await listConversations(deps, pete!)).toEqual([]);
    const notFound = { status: 404, code: "conversation_not_found" };
    expect(await failure(getConversation(deps, pete!, group.id))).toEqual(notFound);
    expect(await failure(history(pete!, { conversation: group.id }))).toEqual(notFound);
    expect(await failure(say(pete!, group.id, "still here?"))).toEqual(notFound);
    expect(await failure(markRead(deps, pete!, markReadSchema.parse({ conversationId: group.id, seq: 1 })))).toEqual(notFound);
    // A stranger gets exactly the same answers.
    const sam = await user("sam");
    expect(await failure(getConversation(deps, sam, group.id))).toEqual(notFound);
    expect(await failure(history(sam, { conversation: group.id }))).toEqual(notFound);
    expect(await failure(say(sam, group.id, "let me in"))).toEqual(notFound);
  });

  it("when members manage the group, then only owners may, and the last owner leaving hands it to the longest-standing member", async () => {
    const [olga, max, nina] = await users(3, "owners");
    const group = await create(olga!, [max!, nina!]);
    const forbidden = { status: 403, code: "not_owner" };
    expect(await failure(updateConversation(deps, max!, group.id, { name: "Mine" }))).toEqual(forbidden);
    expect(await failure(addMembers(deps, max!, group.id, { userIds: [await user("x")] }))).toEqual(forbidden);
    expect(await failure(removeMember(deps, max!, group.id, nina!))).toEqual(forbidden);
    expect(await failure(removeMember(deps, olga!, group.id, randomUUID()))).toEqual({ status: 404, code: "member_not_found" });

    const renamed = await updateConversation(deps, olga!, group.id, { name: "Renamed" });
    expect(renamed).toMatchObject({ name: "Renamed", lastMessage: { system: { event: "renamed", name: "Renamed" } } });

    expect(await removeMember(deps, olga!, group.id, olga!)).toEqual({ left: true });
    expect(updates.at(-1)!.update.removedIds).toEqual([olga]);
    const detail = await getConversation(deps, max!, group.id);
    const heir = [max!, nina!].sort()[0];
    expect(detail.memberList.find((m) => m.role === "owner")!.user.id).toBe(heir);
    expect(detail.lastMessage.system).toMatchObject({ event: "owner_changed", userIds: [heir] });
    const page = await history(max!, { conversation: group.id });
    expect(page.messages.map((m) => m.system?.event)).toEqual(["group_created", "renamed", "member_left", "owner_changed"]);
  });

  it("when a direct conversation is used by its id, then send, history and read work, and it is not a group", async () => {
    const [ann, ben] = await users(2, "direct");
    const first = await sendMessage(deps, ann!, sendMessageSchema.parse({ recipientId: ben, content: "hi", clientId: randomUUID() }));
    const id = first.message.conversationId;
    const byId = await say(ben!, id, "hi back");
    expect(byId.message).toMatchObject({ recipientId: ann, seq: 2 });
    expect((await history(ann!, { conversation: id })).messages.map((m) => m.content)).toEqual(["hi", "hi back"]);
    expect(await markRead(deps, ann!, markReadSchema.parse({ conversationId: id, seq: 2 }))).toEqual({
      conversationId: id,
      userId: ann,
      peerId: ben,
      lastReadSeq: 2,
    });
    const detail = await getConversation(deps, ann!, id);
    expect(detail).toMatchObject({ kind: "direct", name: null, peer: { id: ben }, role: "member", members: { count: 2 } });
    expect(await failure(updateConversation(deps, ann!, id, { name: "Us" }))).toEqual({ status: 422, code: "not_a_group" });
  });

  it("when a group message and a membership change commit, then their pushes go to the members at that commit", async () => {
    const [olga, max, nina, pete] = await users(4, "push");
    const group = await create(olga!, [max!, nina!, pete!]);
    await removeMember(deps, olga!, group.id, pete!);
    const { message } = await say(max!, group.id, "after pete left");
    await markRead(deps, nina!, { conversationId: group.id, seq: message.seq });
    const source = createSqlOutboxSource(db, { leaseSeconds: 60, maxAgeSeconds: 3600 });
    const rows = (await source.claim(1000)).filter((row) => JSON.stringify(row.push).includes(group.id));
    const members = [olga!, max!, nina!].sort();
    const sent = rows.find((row) => row.pushId === `msg_${message.id}`)!;
    expect(sent.push).toEqual({ type: "message.created", data: message, to: members });
    const removal = rows.find((row) => row.push.type === "conversation.updated" && row.push.data.removedIds.length > 0)!;
    expect(removal.push).toEqual({
      type: "conversation.updated",
      data: { conversationId: group.id, name: "Team", memberIds: members, removedIds: [pete] },
      to: [...members, pete!].sort(),
    });
    const read = rows.find((row) => row.push.type === "read.updated")!;
    expect(read.push).toEqual({
      type: "read.updated",
      data: { conversationId: group.id, userId: nina, peerId: null, lastReadSeq: message.seq },
      to: members,
    });
    await source.complete(rows.map((row) => row.id));
  });
});
