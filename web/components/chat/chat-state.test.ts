import { describe, expect, it } from "vitest";
import type { ConversationSummary, UserProfile } from "@/lib/types";
import { buildMessage } from "@/test/support/factories";
import { chatReducer, createChatState, mergeMessages, type ChatState, type OutboxItem } from "./chat-state";

const ME = "00000000-0000-4000-8000-000000000001";
const PEER: UserProfile = { id: "00000000-0000-4000-8000-000000000002", email: "peer@example.test", displayName: null };
const OTHER: UserProfile = { id: "00000000-0000-4000-8000-000000000003", email: "other@example.test", displayName: null };
const CONVERSATION = "00000000-0000-4000-8000-0000000000c1";

const fromPeer = (seq: number, overrides = {}) =>
  buildMessage({ conversationId: CONVERSATION, seq, senderId: PEER.id, recipientId: ME, ...overrides });
const fromMe = (seq: number, overrides = {}) =>
  buildMessage({ conversationId: CONVERSATION, seq, senderId: ME, recipientId: PEER.id, ...overrides });

function openWith(peer = PEER): ChatState {
  return chatReducer(createChatState(ME), { type: "open", peer });
}

function buildOutboxItem(overrides: Partial<OutboxItem> = {}): OutboxItem {
  return {
    clientId: crypto.randomUUID(),
    recipientId: PEER.id,
    content: "hi",
    createdAt: new Date().toISOString(),
    status: "sending",
    ...overrides,
  };
}

describe("mergeMessages", () => {
  it("when messages arrive out of order or twice, then it keeps one of each sorted by seq", () => {
    const [one, two, three] = [fromPeer(1), fromPeer(2), fromPeer(3)];
    const merged = mergeMessages([three!], [one!, three!, two!, one!]);
    expect(merged.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it("when nothing is new, then it returns the same array (no re-render)", () => {
    const current = [fromPeer(1)];
    expect(mergeMessages(current, [current[0]!])).toBe(current);
  });
});

describe("chatReducer", () => {
  it("when the send answer comes after the socket event, then the message shows once", () => {
    const item = buildOutboxItem();
    const message = fromMe(1, { clientId: item.clientId, content: item.content });
    let state = chatReducer(openWith(), { type: "send/started", item });
    state = chatReducer(state, { type: "message/received", message }); // socket first
    state = chatReducer(state, { type: "message/received", message }); // then the HTTP answer
    expect(state.outbox).toEqual([]);
    expect(state.view?.messages).toEqual([message]);
  });

  it("when a catch-up page holds a pending message, then it is reconciled by clientId", () => {
    const item = buildOutboxItem({ status: "failed", error: "timeout" });
    let state = chatReducer(openWith(), { type: "send/started", item });
    const stored = fromMe(4, { clientId: item.clientId });
    state = chatReducer(state, { type: "history/loaded", peerId: PEER.id, mode: "after", messages: [stored] });
    expect(state.outbox).toEqual([]);
    expect(state.view?.messages).toEqual([stored]);
  });

  it("when a send fails and is retried, then the same clientId is kept", () => {
    const item = buildOutboxItem();
    let state = chatReducer(openWith(), { type: "send/started", item });
    state = chatReducer(state, { type: "send/failed", clientId: item.clientId, error: "offline" });
    expect(state.outbox[0]).toMatchObject({ clientId: item.clientId, status: "failed", error: "offline" });
    state = chatReducer(state, { type: "send/started", item: { ...item, status: "sending" } });
    expect(state.outbox).toHaveLength(1);
    expect(state.outbox[0]).toMatchObject({ clientId: item.clientId, status: "sending" });
  });

  it("when a message for another conversation arrives, then the open one is untouched and that one is unread", () => {
    const elsewhere = buildMessage({ senderId: OTHER.id, recipientId: ME, seq: 1 });
    const state = chatReducer(openWith(), { type: "message/received", message: elsewhere });
    expect(state.view?.messages).toEqual([]);
    expect(state.unread).toEqual([elsewhere.conversationId]);
    // Unknown conversation: the list must be fetched again to learn who wrote.
    expect(state.conversationsStale).toBe(true);
  });

  it("when a history page answers for a conversation no longer open, then it is ignored", () => {
    let state = openWith(PEER);
    state = chatReducer(state, { type: "open", peer: OTHER });
    state = chatReducer(state, { type: "history/loaded", peerId: PEER.id, mode: "initial", messages: [fromPeer(1)], hasOlder: true });
    expect(state.view).toMatchObject({ peer: OTHER, messages: [], loading: "initial" });
  });

  it("when a live message arrives while the first page loads, then both are kept", () => {
    let state = chatReducer(openWith(), { type: "message/received", message: fromPeer(51) });
    const page = Array.from({ length: 50 }, (_, i) => fromPeer(i + 1));
    state = chatReducer(state, { type: "history/loaded", peerId: PEER.id, mode: "initial", messages: page, hasOlder: false });
    expect(state.view?.messages.map((m) => m.seq)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    expect(state.view?.loading).toBeNull();
  });

  it("when a conversation list arrives older than a live message, then the newer last message wins", () => {
    const first = fromPeer(1);
    const summary: ConversationSummary = {
      id: CONVERSATION,
      peer: PEER,
      lastMessage: first,
      lastMessageAt: first.createdAt,
      unreadCount: 1,
      lastReadSeq: 0,
      peerLastReadSeq: 0,
    };
    let state = chatReducer(createChatState(ME), { type: "conversations/loaded", conversations: [summary] });
    const second = fromPeer(2, { createdAt: new Date(Date.now() + 1000).toISOString() });
    state = chatReducer(state, { type: "message/received", message: second });
    state = chatReducer(state, { type: "conversations/loaded", conversations: [summary] });
    expect(state.conversations[0]?.lastMessage).toEqual(second);
  });

  it("when the first message with a searched user is sent, then the conversation joins the list", () => {
    const message = fromMe(1);
    const state = chatReducer(openWith(), { type: "message/received", message });
    expect(state.conversations).toEqual([
      {
        id: CONVERSATION,
        peer: PEER,
        lastMessage: message,
        lastMessageAt: message.createdAt,
        unreadCount: 0,
        lastReadSeq: 0,
        peerLastReadSeq: 0,
      },
    ]);
    expect(state.conversationsStale).toBe(false);
  });
});
