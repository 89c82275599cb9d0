import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage, ConversationDetail } from "@/lib/types";
import { startTestApp } from "./support/app-env";
import { waitFor } from "./support/push-receiver";
import { call, signIn } from "./support/routes";

// The group endpoints through the route handlers, on the embedded database with a push receiver.

type User = { cookie: string; userId: string };
let app: Awaited<ReturnType<typeof startTestApp>>;
let olga: User, max: User, nina: User, pete: User, sam: User;

beforeAll(async () => {
  process.env.GROUP_MAX_MEMBERS = "5";
  app = await startTestApp();
  [olga, max, nina, pete, sam] = (await Promise.all(
    ["olga", "max", "nina", "pete", "sam"].map((name) => signIn(`${name}@example.com`)),
  )) as [User, User, User, User, User];
});
afterAll(async () => {
  await app.stop();
  delete process.env.GROUP_MAX_MEMBERS;
});

const create = (who: User, json: unknown) => call("POST", "/api/chat/conversations", { cookie: who.cookie, json });
const group = async (name = "Trip") => {
  const res = await create(olga, { kind: "group", name, memberIds: [max.userId, nina.userId, pete.userId] });
  expect(res.status).toBe(201);
  return res.body.data as ConversationDetail;
};
const error = (res: { status: number; body: { error?: { code: string } } }) => [res.status, res.body.error?.code];

describe("POST /api/chat/conversations", () => {
  it("when an owner creates a group, then 201 with the detail, and every member gets the push", async () => {
    const detail = await group("  Trip  ");
    expect(detail).toMatchObject({
      kind: "group",
      name: "Trip",
      peer: null,
      role: "owner",
      members: { count: 4, preview: expect.any(Array) },
      peerLastReadSeq: 0,
      lastMessage: { seq: 1, kind: "system", recipientId: null, system: { event: "group_created", actorId: olga.userId } },
    });
    expect(detail.memberList[0]).toEqual({
      user: expect.objectContaining({ id: olga.userId }),
      role: "owner",
      joinedAt: expect.any(String),
    });
    const members = [olga, max, nina, pete].map((u) => u.userId).sort();
    const pushed = await waitFor(() => app.receiver.received.find((p) => p.id === `msg_${detail.lastMessage.id}`));
    expect(pushed.push).toEqual({ type: "message.created", data: detail.lastMessage, to: members });
    const updated = await waitFor(() => app.receiver.received.find((p) => p.id === `conv_${detail.id}_1`));
    expect(updated.push).toEqual({
      type: "conversation.updated",
      data: { conversationId: detail.id, name: "Trip", memberIds: members, removedIds: [] },
      to: members,
    });
  });

  it("when the body is wrong or the group too small, too large or has an unknown user, then 422 or 404", async () => {
    expect(error(await create(olga, { kind: "direct", name: "x", memberIds: [max.userId, nina.userId] }))).toEqual([
      422,
      "validation_failed",
    ]);
    const blank = await create(olga, { kind: "group", name: "\u200b ", memberIds: [max.userId, nina.userId] });
    expect(blank.body.error.details).toEqual([{ path: "name", message: "name must not be empty" }]);
    expect(error(await create(olga, { kind: "group", name: "x", memberIds: ["nope"] }))).toEqual([422, "validation_failed"]);
    expect(error(await create(olga, { kind: "group", name: "Two", memberIds: [max.userId] }))).toEqual([422, "group_too_small"]);
    const six = [max, nina, pete, sam].map((u) => u.userId).concat(randomUUID());
    expect(error(await create(olga, { kind: "group", name: "Six", memberIds: six }))).toEqual([422, "group_too_large"]);
    expect(error(await create(olga, { kind: "group", name: "Ghost", memberIds: [max.userId, randomUUID()] }))).toEqual([
      404,
      "user_not_found",
    ]);
    expect(error(await create({ cookie: "", userId: "" }, { kind: "group", name: "x", memberIds: [] }))).toEqual([401, "unauthorized"]);
  });
});

describe("GET and PATCH /api/chat/conversations/ID", () => {
  it("when a member asks, then the detail; a stranger or a malformed id gets 404 or 422", async () => {
    const detail = await group();
    const seen = await call("GET", `/api/chat/conversations/${detail.id}`, { cookie: max.cookie });
    expect(seen.status).toBe(200);
    expect(seen.body.data).toMatchObject({ id: detail.id, role: "member", memberList: detail.memberList });
    expect(error(await call("GET", `/api/chat/conversations/${detail.id}`, { cookie: sam.cookie }))).toEqual([
      404,
      "conversation_not_found",
    ]);
    expect(error(await call("GET", `/api/chat/conversations/${randomUUID()}`, { cookie: max.cookie }))).toEqual([
      404,
      "conversation_not_found",
    ]);
    expect(error(await call("GET", "/api/chat/conversations/nope", { cookie: max.cookie }))).toEqual([422, "validation_failed"]);
  });

  it("when the owner renames, then 200 with the new name; a member gets 403, a direct conversation 422", async () => {
    const detail = await group();
    const rename = (who: User, id: string, name: unknown) =>
      call("PATCH", `/api/chat/conversations/${id}`, { cookie: who.cookie, json: { name } });
    const renamed = await rename(olga, detail.id, " Summer ");
    expect([renamed.status, renamed.body.data.name, renamed.body.data.lastMessage.system]).toEqual([
      200,
      "Summer",
      { event: "renamed", actorId: olga.userId, userIds: [], name: "Summer" },
    ]);
    expect(error(await rename(max, detail.id, "Mine"))).toEqual([403, "not_owner"]);
    expect(error(await rename(olga, detail.id, "x".repeat(81)))).toEqual([422, "validation_failed"]);
    const direct = await call("POST", "/api/chat/send", {
      cookie: olga.cookie,
      json: { recipientId: sam.userId, content: "hi", clientId: randomUUID() },
    });
    expect(error(await rename(olga, direct.body.data.conversationId, "Us"))).toEqual([422, "not_a_group"]);
  });
});

describe("members", () => {
  it("when the owner adds and removes, then 200 with the detail; members cannot; the group has a ceiling", async () => {
    const detail = await group();
    const add = (who: User, userIds: unknown) =>
      call("POST", `/api/chat/conversations/${detail.id}/members`, { cookie: who.cookie, json: { userIds } });
    const remove = (who: User, userId: string) =>
      call("DELETE", `/api/chat/conversations/${detail.id}/members/${userId}`, { cookie: who.cookie });
    expect(error(await add(max, [sam.userId]))).toEqual([403, "not_owner"]);
    expect(error(await add(olga, []))).toEqual([422, "validation_failed"]);
    const added = await add(olga, [sam.userId, max.userId]);
    expect([added.status, added.body.data.members.count, added.body.data.lastMessage.system.userIds]).toEqual([200, 5, [sam.userId]]);
    expect(error(await add(olga, [randomUUID()]))).toEqual([422, "group_too_large"]);

    expect(error(await remove(max, nina.userId))).toEqual([403, "not_owner"]);
    expect(error(await remove(olga, randomUUID()))).toEqual([404, "member_not_found"]);
    const removed = await remove(olga, sam.userId);
    expect([removed.status, removed.body.data.members.count]).toEqual([200, 4]);
    // Sam lost the whole conversation.
    expect(error(await call("GET", `/api/chat/history?conversation=${detail.id}`, { cookie: sam.cookie }))).toEqual([
      404,
      "conversation_not_found",
    ]);
    const left = await remove(pete, pete.userId);
    expect([left.status, left.body]).toEqual([200, { data: { left: true } }]);
  });
});

describe("send, history and read by conversation", () => {
  it("when members send and read in a group, then history pages by conversation and the read state reaches every member", async () => {
    const detail = await group();
    const say = (who: User, json: object) => call("POST", "/api/chat/send", { cookie: who.cookie, json });
    const clientId = randomUUID();
    const sent = await say(max, { conversationId: detail.id, content: "hi all", clientId });
    expect(sent.status).toBe(201);
    expect(sent.body.data).toMatchObject({ seq: 2, recipientId: null, kind: "text", system: null });
    expect((await say(max, { conversationId: detail.id, content: "hi all", clientId })).status).toBe(200);
    expect(error(await say(max, { conversationId: detail.id, recipientId: nina.userId, content: "x", clientId: randomUUID() }))).toEqual([
      422,
      "validation_failed",
    ]);
    expect(error(await say(sam, { conversationId: detail.id, content: "let me in", clientId: randomUUID() }))).toEqual([
      404,
      "conversation_not_found",
    ]);

    const page = await call("GET", `/api/chat/history?conversation=${detail.id}&limit=1`, { cookie: nina.cookie });
    expect(page.body.data).toEqual({ messages: [sent.body.data], nextBefore: sent.body.data.id });
    const catchUp = await call("GET", `/api/chat/history?conversation=${detail.id}&after=${detail.lastMessage.id}`, {
      cookie: nina.cookie,
    });
    expect(catchUp.body.data.messages.map((m: ChatMessage) => m.seq)).toEqual([2]);
    expect(error(await call("GET", `/api/chat/history?conversation=${detail.id}&with=${max.userId}`, { cookie: nina.cookie }))).toEqual([
      422,
      "validation_failed",
    ]);

    const read = await call("POST", "/api/chat/read", { cookie: nina.cookie, json: { conversationId: detail.id, seq: 2 } });
    expect(read.body.data).toEqual({ conversationId: detail.id, userId: nina.userId, peerId: null, lastReadSeq: 2 });
    const pushed = await waitFor(() => app.receiver.received.find((p) => p.id === `read_${detail.id}_${nina.userId}_2`));
    expect(pushed.push).toMatchObject({ type: "read.updated", to: [olga, max, nina, pete].map((u) => u.userId).sort() });
    const [listed] = (await call("GET", "/api/chat/conversations", { cookie: olga.cookie })).body.data;
    expect(listed.readStates).toEqual(
      expect.arrayContaining([
        { userId: nina.userId, lastReadSeq: 2 },
        { userId: max.userId, lastReadSeq: 0 },
      ]),
    );
    expect(error(await call("POST", "/api/chat/read", { cookie: sam.cookie, json: { conversationId: detail.id, seq: 1 } }))).toEqual([
      404,
      "conversation_not_found",
    ]);
  });
});
