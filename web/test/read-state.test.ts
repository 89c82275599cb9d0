import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp } from "./support/app-env";
import { waitFor } from "./support/push-receiver";
import { call, signIn } from "./support/routes";

let app: Awaited<ReturnType<typeof startTestApp>>;
let ann: { cookie: string; userId: string };
let bob: { cookie: string; userId: string };
let carol: { cookie: string; userId: string };

beforeAll(async () => {
  app = await startTestApp();
  ann = await signIn("ann@example.com");
  bob = await signIn("bob@example.com");
  carol = await signIn("carol@example.com");
});
afterAll(() => app.stop());

const send = (from: { cookie: string }, to: { userId: string }, content: string) =>
  call("POST", "/api/chat/send", { cookie: from.cookie, json: { recipientId: to.userId, content, clientId: randomUUID() } });
const conversationWith = async (me: { cookie: string }, peer: { userId: string }) =>
  (await call("GET", "/api/chat/conversations", { cookie: me.cookie })).body.data.find(
    (c: { peer: { id: string } }) => c.peer.id === peer.userId,
  );

describe("read state", () => {
  it("when messages arrive and the recipient reads some, then unread counts and Seen positions follow", async () => {
    const sent = [];
    for (const text of ["one", "two", "three"]) sent.push((await send(ann, bob, text)).body.data);
    expect(await conversationWith(bob, ann)).toMatchObject({ unreadCount: 3, lastReadSeq: 0, peerLastReadSeq: 0 });
    expect((await conversationWith(ann, bob)).unreadCount).toBe(0); // own messages are never unread

    const read = await call("POST", "/api/chat/read", { cookie: bob.cookie, json: { peerId: ann.userId, seq: sent[1].seq } });
    expect(read.status).toBe(200);
    expect(read.body.data).toEqual({
      conversationId: sent[0].conversationId,
      userId: bob.userId,
      peerId: ann.userId,
      lastReadSeq: sent[1].seq,
    });
    expect(await conversationWith(bob, ann)).toMatchObject({ unreadCount: 1, lastReadSeq: sent[1].seq });
    expect(await conversationWith(ann, bob)).toMatchObject({ peerLastReadSeq: sent[1].seq });

    const push = await waitFor(() => app.receiver.received.find((p) => p.push.type === "read.updated"));
    expect(push.push).toEqual({ type: "read.updated", data: read.body.data });
  });

  it("when a stale or too-far position is sent, then the position only moves forward and stays within the conversation", async () => {
    const stale = await call("POST", "/api/chat/read", { cookie: bob.cookie, json: { peerId: ann.userId, seq: 1 } });
    const current = (await conversationWith(bob, ann)).lastReadSeq;
    expect(stale.body.data.lastReadSeq).toBe(current);
    const far = await call("POST", "/api/chat/read", { cookie: bob.cookie, json: { peerId: ann.userId, seq: 1_000_000 } });
    const last = (await conversationWith(bob, ann)).lastMessage.seq;
    expect(far.body.data.lastReadSeq).toBe(last);
    expect((await conversationWith(bob, ann)).unreadCount).toBe(0);
  });

  it("when there is no conversation with that user, then 404; for oneself 400; bad input 422", async () => {
    const none = await call("POST", "/api/chat/read", { cookie: carol.cookie, json: { peerId: ann.userId, seq: 1 } });
    expect([none.status, none.body.error.code]).toEqual([404, "conversation_not_found"]);
    const self = await call("POST", "/api/chat/read", { cookie: carol.cookie, json: { peerId: carol.userId, seq: 1 } });
    expect(self.status).toBe(400);
    for (const json of [
      { peerId: "x", seq: 1 },
      { peerId: ann.userId, seq: -1 },
      { peerId: ann.userId, seq: 1.5 },
      { peerId: ann.userId },
    ]) {
      expect((await call("POST", "/api/chat/read", { cookie: carol.cookie, json })).status).toBe(422);
    }
    expect((await call("POST", "/api/chat/read", { json: { peerId: ann.userId, seq: 1 } })).status).toBe(401);
  });
});

describe("profile", () => {
  it("when a user sets a display name, then others see it in search and in their conversation list", async () => {
    const updated = await call("PATCH", "/api/profile", { cookie: ann.cookie, json: { displayName: "  Ann Example " } });
    expect(updated.status).toBe(200);
    expect(updated.body.data).toEqual({ id: ann.userId, email: "ann@example.com", displayName: "Ann Example" });
    expect((await call("GET", "/api/profile", { cookie: ann.cookie })).body.data.displayName).toBe("Ann Example");
    expect((await call("GET", "/api/users?q=ann", { cookie: bob.cookie })).body.data[0].displayName).toBe("Ann Example");
    expect((await conversationWith(bob, ann)).peer.displayName).toBe("Ann Example");
    const cleared = await call("PATCH", "/api/profile", { cookie: ann.cookie, json: { displayName: null } });
    expect(cleared.body.data.displayName).toBeNull();
  });

  it.each([["x".repeat(81)], ["evil\u202Eexe.txt"], ["a\u0000b"], [42]])("when the display name is %j, then 422", async (displayName) => {
    const res = await call("PATCH", "/api/profile", { cookie: ann.cookie, json: { displayName } });
    expect([res.status, res.body.error.code]).toEqual([422, "validation_failed"]);
  });
});

describe("logout", () => {
  it("when a user signs out, then the socket server is told to close that session's sockets", async () => {
    const dave = await signIn("dave@example.com");
    const session = await call("GET", "/api/auth/session", { cookie: dave.cookie });
    const sessionId = JSON.parse(Buffer.from(session.body.data.accessToken.split(".")[1], "base64url").toString()).session_id;
    await call("POST", "/api/auth/logout", { cookie: dave.cookie });
    const push = await waitFor(() => app.receiver.received.find((p) => p.push.type === "session.revoked"));
    expect(push.push).toEqual({ type: "session.revoked", data: { userId: dave.userId, sessionId } });
  });
});
