import { describe, expect, it } from "vitest";
import { createChatApi, normalizeMessage, normalizeSummary, type ApiCallOptions } from "./api";

const GROUP = "00000000-0000-4000-8000-0000000000c1";
const PEER = { id: "00000000-0000-4000-8000-000000000002", email: "peer@example.test", displayName: null };

function recordingApi(answer: unknown = {}) {
  const calls: [string, ApiCallOptions | undefined][] = [];
  const api = createChatApi(async <T>(path: string, options?: ApiCallOptions) => {
    calls.push([path, options]);
    return answer as T;
  });
  return { api, calls };
}

describe("chat API client", () => {
  it("when group actions are called, then each goes to its documented path, method and body", async () => {
    const { api, calls } = recordingApi({ id: GROUP, kind: "group", members: { count: 3, preview: [] }, readStates: [] });
    await api.createGroup({ name: "Team", memberIds: ["a", "b"] });
    await api.getConversation(GROUP);
    await api.renameGroup(GROUP, "New");
    await api.addMembers(GROUP, ["c"]);
    await api.removeMember(GROUP, PEER.id);
    expect(calls).toEqual([
      ["/api/chat/conversations", { method: "POST", json: { kind: "group", name: "Team", memberIds: ["a", "b"] } }],
      [`/api/chat/conversations/${GROUP}`, undefined],
      [`/api/chat/conversations/${GROUP}`, { method: "PATCH", json: { name: "New" } }],
      [`/api/chat/conversations/${GROUP}/members`, { method: "POST", json: { userIds: ["c"] } }],
      [`/api/chat/conversations/${GROUP}/members/${PEER.id}`, { method: "DELETE" }],
    ]);
  });

  it("when sending, reading and paging, then a group goes by id and a direct conversation by the peer", async () => {
    const { api, calls } = recordingApi({ messages: [], nextBefore: null });
    await api.fetchHistory({ conversation: GROUP, limit: 50, after: "m1" });
    await api.fetchHistory({ with: PEER.id, limit: 50 });
    await api.markRead({ conversationId: GROUP, seq: 3 });
    await api.markRead({ peerId: PEER.id, seq: 3 });
    expect(calls).toEqual([
      ["/api/chat/history", { query: { conversation: GROUP, limit: 50, after: "m1" } }],
      ["/api/chat/history", { query: { with: PEER.id, limit: 50 } }],
      ["/api/chat/read", { method: "POST", json: { conversationId: GROUP, seq: 3 } }],
      ["/api/chat/read", { method: "POST", json: { peerId: PEER.id, seq: 3 } }],
    ]);
  });

  it("when a server before groups answers, then messages and summaries get their 1:1 meaning", () => {
    const message = {
      id: "m1",
      conversationId: "c1",
      seq: 1,
      senderId: PEER.id,
      recipientId: "me",
      content: "hi",
      clientId: "x",
      createdAt: new Date(0).toISOString(),
    };
    const old = {
      id: "c1",
      peer: PEER,
      lastMessage: message,
      lastMessageAt: message.createdAt,
      unreadCount: 1,
      lastReadSeq: 0,
      peerLastReadSeq: 1,
    };
    expect(normalizeMessage(message as never)).toMatchObject({ kind: "text", system: null, recipientId: "me" });
    expect(normalizeSummary(old as never)).toMatchObject({
      kind: "direct",
      name: null,
      peer: PEER,
      members: { count: 2, preview: [PEER] },
      role: "member",
      readStates: [{ userId: PEER.id, lastReadSeq: 1 }],
      lastMessage: { kind: "text" },
    });
    const current = normalizeMessage(message as never);
    expect(normalizeMessage(current)).toBe(current);
  });
});
