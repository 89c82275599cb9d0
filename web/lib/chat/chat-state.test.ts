import { describe, expect, it } from "vitest";
import type { ConversationSummary, UserProfile } from "@/lib/types";
import { buildChatMessage as buildMessage } from "./test-support";
import {
  advanceSynced,
  chatReducer,
  createChatState,
  documentTitle,
  mergeMessages,
  needsCatchUp,
  readTarget,
  seenMessageId,
  totalUnread,
  type ChatState,
  type OutboxItem,
} from "./chat-state";

const ME = "00000000-0000-4000-8000-000000000001";
const PEER: UserProfile = { id: "00000000-0000-4000-8000-000000000002", email: "peer@example.test", displayName: null };
const OTHER: UserProfile = { id: "00000000-0000-4000-8000-000000000003", email: "other@example.test", displayName: null };
const CONVERSATION = "00000000-0000-4000-8000-0000000000c1";

const fromPeer = (seq: number, overrides = {}) =>
  buildMessage({ conversationId: CONVERSATION, seq, senderId: PEER.id, recipientId: ME, ...overrides });
const fromMe = (seq: number, overrides = {}) =>
  buildMessage({ conversationId: CONVERSATION, seq, senderId: ME, recipientId: PEER.id, ...overrides });

function openWith(peer = PEER): ChatState {
  return chatReducer(createChatState(ME), { type: "open", conversation: { kind: "direct", peer, conversationId: null } });
}

function buildOutboxItem(overrides: Partial<OutboxItem> = {}): OutboxItem {
  return {
    clientId: crypto.randomUUID(),
    recipientId: PEER.id,
    conversationId: null,
    content: "hi",
    createdAt: new Date().toISOString(),
    order: Date.now(),
    status: "pending",
    attempts: 0,
    nextAttemptAt: 0,
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
    let state = chatReducer(openWith(), { type: "outbox/synced", items: [item] });
    state = chatReducer(state, { type: "message/received", message }); // socket first
    state = chatReducer(state, { type: "message/received", message }); // then the HTTP answer
    expect(state.outbox).toEqual([]);
    expect(state.view?.messages).toEqual([message]);
  });

  it("when a catch-up page holds a pending message, then it is reconciled by clientId", () => {
    const item = buildOutboxItem({ attempts: 2, error: "timeout" });
    let state = chatReducer(openWith(), { type: "outbox/synced", items: [item] });
    const stored = fromMe(4, { clientId: item.clientId });
    state = chatReducer(state, { type: "history/loaded", target: { kind: "direct", peerId: PEER.id }, mode: "after", messages: [stored] });
    expect(state.outbox).toEqual([]);
    expect(state.view?.messages).toEqual([stored]);
  });

  it("when the durable outbox changes, then the state holds a copy of it in queue order", () => {
    const items = [buildOutboxItem({ order: 1 }), buildOutboxItem({ order: 2, status: "failed", error: "Too long" })];
    const state = chatReducer(openWith(), { type: "outbox/synced", items });
    expect(state.outbox).toBe(items);
    expect(chatReducer(state, { type: "outbox/synced", items })).toBe(state);
  });

  it("when a message for another conversation arrives, then the open one is untouched and that one is unread", () => {
    const elsewhere = buildMessage({ senderId: OTHER.id, recipientId: ME, seq: 1 });
    const state = chatReducer(openWith(), { type: "message/received", message: elsewhere });
    expect(state.view?.messages).toEqual([]);
    // Unknown conversation: the list must be fetched again to learn who wrote.
    expect(state.conversationsStale).toBe(true);
  });

  it("when a history page answers for a conversation no longer open, then it is ignored", () => {
    let state = openWith(PEER);
    state = chatReducer(state, { type: "open", conversation: { kind: "direct", peer: OTHER, conversationId: null } });
    state = chatReducer(state, {
      type: "history/loaded",
      target: { kind: "direct", peerId: PEER.id },
      mode: "initial",
      messages: [fromPeer(1)],
      hasOlder: true,
    });
    expect(state.view).toMatchObject({ peer: OTHER, messages: [], loading: "initial" });
  });

  it("when a live message arrives while the first page loads, then both are kept", () => {
    let state = chatReducer(openWith(), { type: "message/received", message: fromPeer(51) });
    const page = Array.from({ length: 50 }, (_, i) => fromPeer(i + 1));
    state = chatReducer(state, {
      type: "history/loaded",
      target: { kind: "direct", peerId: PEER.id },
      mode: "initial",
      messages: page,
      hasOlder: false,
    });
    expect(state.view?.messages.map((m) => m.seq)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    expect(state.view?.loading).toBeNull();
  });

  it("when a conversation list arrives older than a live message, then the newer last message wins", () => {
    const first = fromPeer(1);
    const summary = buildSummary({ lastMessage: first, unreadCount: 1, lastReadSeq: 0 });
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
        kind: "direct",
        name: null,
        peer: PEER,
        members: { count: 2, preview: [{ id: ME, email: "", displayName: null }, PEER] },
        role: "member",
        lastMessage: message,
        lastMessageAt: message.createdAt,
        unreadCount: 0,
        lastReadSeq: 0,
        peerLastReadSeq: 0,
        readStates: [{ userId: PEER.id, lastReadSeq: 0 }],
      },
    ]);
    // The view now knows its conversation's id.
    expect(state.view?.conversationId).toBe(CONVERSATION);
    expect(state.conversationsStale).toBe(false);
  });

  it("when live messages arrive without a gap, then the synced position follows them", () => {
    let state = chatReducer(openWith(), {
      type: "history/loaded",
      target: { kind: "direct", peerId: PEER.id },
      mode: "initial",
      messages: [fromPeer(1), fromPeer(2)],
      hasOlder: false,
    });
    expect(state.view?.synced?.seq).toBe(2);
    state = chatReducer(state, { type: "message/received", message: fromPeer(3) });
    expect(state.view?.synced?.seq).toBe(3);
    expect(needsCatchUp(state.view!)).toBe(false);
  });

  it("when a live message arrives past a lost push, then the synced position stays before the gap until a catch-up fills it", () => {
    const page = [fromPeer(1), fromPeer(2)];
    let state = chatReducer(openWith(), {
      type: "history/loaded",
      target: { kind: "direct", peerId: PEER.id },
      mode: "initial",
      messages: page,
      hasOlder: false,
    });
    state = chatReducer(state, { type: "message/received", message: fromPeer(5) });
    expect(state.view?.synced).toEqual({ id: page[1]!.id, seq: 2 });
    expect(needsCatchUp(state.view!)).toBe(true);
    // The late push for 3 arrives: still a hole at 4.
    state = chatReducer(state, { type: "message/received", message: fromPeer(3) });
    expect(state.view?.synced?.seq).toBe(3);
    // Catch-up after 3 returns 4 and 5 again: 5 is deduped, the position jumps to the page's end.
    const caught = [fromPeer(4), state.view!.messages.at(-1)!];
    state = chatReducer(state, { type: "history/loaded", target: { kind: "direct", peerId: PEER.id }, mode: "after", messages: caught });
    expect(state.view?.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(state.view?.synced?.seq).toBe(5);
    expect(needsCatchUp(state.view!)).toBe(false);
  });

  it("when a catch-up page ends past a burned position, then the page's end is trusted (seq may skip)", () => {
    let state = chatReducer(openWith(), {
      type: "history/loaded",
      target: { kind: "direct", peerId: PEER.id },
      mode: "initial",
      messages: [fromPeer(1)],
      hasOlder: false,
    });
    state = chatReducer(state, { type: "message/received", message: fromPeer(3) });
    expect(needsCatchUp(state.view!)).toBe(true);
    state = chatReducer(state, {
      type: "history/loaded",
      target: { kind: "direct", peerId: PEER.id },
      mode: "after",
      messages: [state.view!.messages[1]!],
    });
    expect(state.view?.synced?.seq).toBe(3);
  });

  it("when the gap is too long to catch up, then a reset keeps only what is newer than the newest page", () => {
    let state = chatReducer(openWith(), {
      type: "history/loaded",
      target: { kind: "direct", peerId: PEER.id },
      mode: "initial",
      messages: [fromPeer(1), fromPeer(2)],
      hasOlder: false,
    });
    const live = fromPeer(500);
    state = chatReducer(state, { type: "message/received", message: live });
    const newest = [...Array.from({ length: 49 }, (_, i) => fromPeer(451 + i)), live];
    state = chatReducer(state, {
      type: "history/loaded",
      target: { kind: "direct", peerId: PEER.id },
      mode: "reset",
      messages: newest,
      hasOlder: true,
    });
    expect(state.view?.messages.map((m) => m.seq)).toEqual(newest.map((m) => m.seq));
    expect(state.view?.hasOlder).toBe(true);
    expect(state.view?.synced?.seq).toBe(500);
  });

  it("when the first page failed and a live message came, then a catch-up is needed", () => {
    let state = chatReducer(openWith(), {
      type: "history/failed",
      target: { kind: "direct", peerId: PEER.id },
      mode: "initial",
      error: "offline",
    });
    expect(needsCatchUp(state.view!)).toBe(true);
    state = chatReducer(state, {
      type: "history/loaded",
      target: { kind: "direct", peerId: PEER.id },
      mode: "reset",
      messages: [fromPeer(1)],
      hasOlder: false,
    });
    expect(state.view).toMatchObject({ error: null, synced: { seq: 1 } });
    expect(needsCatchUp(state.view!)).toBe(false);
  });

  it("when older pages load, then the synced position does not move", () => {
    let state = chatReducer(openWith(), {
      type: "history/loaded",
      target: { kind: "direct", peerId: PEER.id },
      mode: "initial",
      messages: [fromPeer(51)],
      hasOlder: true,
    });
    state = chatReducer(state, { type: "history/loading", target: { kind: "direct", peerId: PEER.id }, mode: "older" });
    state = chatReducer(state, {
      type: "history/loaded",
      target: { kind: "direct", peerId: PEER.id },
      mode: "older",
      messages: [fromPeer(50)],
      hasOlder: false,
    });
    expect(state.view?.synced?.seq).toBe(51);
  });
});

describe("advanceSynced", () => {
  it("when nothing was synced and no page came, then there is no position", () => {
    expect(advanceSynced([fromPeer(7)], null)).toBeNull();
  });

  it("when a page answers, then its end wins only if it is further", () => {
    const held = [fromPeer(1), fromPeer(2), fromPeer(3)];
    expect(advanceSynced(held, { id: held[2]!.id, seq: 3 }, [held[0]!])).toEqual({ id: held[2]!.id, seq: 3 });
  });
});

function buildSummary(overrides: Partial<ConversationSummary> = {}): ConversationSummary {
  const last = overrides.lastMessage ?? fromPeer(3);
  return {
    id: CONVERSATION,
    kind: "direct",
    name: null,
    peer: PEER,
    members: { count: 2, preview: [PEER] },
    role: "member",
    lastMessage: last,
    lastMessageAt: last.createdAt,
    unreadCount: 0,
    lastReadSeq: last.seq,
    peerLastReadSeq: 0,
    readStates: [{ userId: PEER.id, lastReadSeq: 0 }],
    ...overrides,
  };
}

function listed(summaries: ConversationSummary[], base = createChatState(ME)): ChatState {
  return chatReducer(base, { type: "conversations/loaded", conversations: summaries });
}

const later = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

describe("unread counts", () => {
  it("when a peer's message arrives in a conversation that is not open, then its count and the total go up", () => {
    let state = listed([buildSummary({ unreadCount: 2, lastReadSeq: 1 })]);
    state = chatReducer(state, { type: "message/received", message: fromPeer(4, { createdAt: later(1) }) });
    expect(state.conversations[0]?.unreadCount).toBe(3);
    expect(totalUnread(state)).toBe(3);
    expect(documentTitle(totalUnread(state))).toBe("(3) Chat");
  });

  it("when the same message arrives twice (push and catch-up), then it counts once", () => {
    let state = listed([buildSummary()]);
    const message = fromPeer(4, { createdAt: later(1) });
    state = chatReducer(state, { type: "message/received", message });
    state = chatReducer(state, { type: "message/received", message });
    expect(state.conversations[0]?.unreadCount).toBe(1);
  });

  it("when my own message arrives (another tab), then nothing becomes unread", () => {
    let state = listed([buildSummary()]);
    state = chatReducer(state, { type: "message/received", message: fromMe(4, { createdAt: later(1) }) });
    expect(state.conversations[0]?.unreadCount).toBe(0);
  });

  it("when the conversation is open and the tab visible, then its new messages are not counted", () => {
    let state = listed([buildSummary()], openWith());
    state = chatReducer(state, { type: "message/received", message: fromPeer(4, { createdAt: later(1) }) });
    expect(state.conversations[0]?.unreadCount).toBe(0);
  });

  it("when the conversation is open but the tab is hidden, then its new messages are counted", () => {
    let state = listed([buildSummary()], openWith());
    state = chatReducer(state, { type: "visibility/changed", visible: false });
    state = chatReducer(state, { type: "message/received", message: fromPeer(4, { createdAt: later(1) }) });
    expect(state.conversations[0]?.unreadCount).toBe(1);
    expect(documentTitle(totalUnread(state))).toBe("(1) Chat");
  });

  it("when I read the conversation in another tab, then the count clears here", () => {
    let state = listed([buildSummary({ unreadCount: 2, lastReadSeq: 1 })]);
    state = chatReducer(state, {
      type: "read/updated",
      state: { conversationId: CONVERSATION, userId: ME, peerId: PEER.id, lastReadSeq: 3 },
    });
    expect(state.conversations[0]).toMatchObject({ unreadCount: 0, lastReadSeq: 3 });
    expect(documentTitle(totalUnread(state))).toBe("Chat");
  });

  it("when another tab read only part of it, then the list is fetched again for the exact count", () => {
    let state = listed([buildSummary({ unreadCount: 2, lastReadSeq: 1 })]);
    state = chatReducer(state, {
      type: "read/updated",
      state: { conversationId: CONVERSATION, userId: ME, peerId: PEER.id, lastReadSeq: 2 },
    });
    expect(state.conversations[0]?.lastReadSeq).toBe(2);
    expect(state.conversationsStale).toBe(true);
  });

  it("when a read position arrives that is behind the one held, then nothing moves back", () => {
    let state = listed([buildSummary({ lastReadSeq: 3, peerLastReadSeq: 3 })]);
    const before = state;
    state = chatReducer(state, {
      type: "read/updated",
      state: { conversationId: CONVERSATION, userId: ME, peerId: PEER.id, lastReadSeq: 2 },
    });
    state = chatReducer(state, {
      type: "read/updated",
      state: { conversationId: CONVERSATION, userId: PEER.id, peerId: ME, lastReadSeq: 1 },
    });
    expect(state).toBe(before);
  });

  it("when a stale list arrives after a live message and a read, then the live count and positions win", () => {
    const summary = buildSummary({ unreadCount: 0, lastReadSeq: 3, peerLastReadSeq: 2 });
    let state = listed([summary]);
    state = chatReducer(state, { type: "message/received", message: fromPeer(4, { createdAt: later(1) }) });
    state = chatReducer(state, {
      type: "read/updated",
      state: { conversationId: CONVERSATION, userId: PEER.id, peerId: ME, lastReadSeq: 3 },
    });
    state = listed([summary], state);
    expect(state.conversations[0]).toMatchObject({ unreadCount: 1, lastReadSeq: 3, peerLastReadSeq: 3, lastMessage: { seq: 4 } });
    // …and a list that already includes my read of it clears the count.
    state = listed([buildSummary({ lastMessage: state.conversations[0]!.lastMessage, lastReadSeq: 4 })], state);
    expect(state.conversations[0]?.unreadCount).toBe(0);
  });

  it("when the peer's first message starts a conversation while it is open in a hidden tab, then it is counted", () => {
    let state = chatReducer(openWith(), { type: "visibility/changed", visible: false });
    state = chatReducer(state, { type: "message/received", message: fromPeer(1) });
    expect(state.conversations[0]?.unreadCount).toBe(1);
  });

  it("when there are more than 99 unread, then the title says 99+", () => {
    expect(documentTitle(0)).toBe("Chat");
    expect(documentTitle(150)).toBe("(99+) Chat");
  });
});

describe("read state", () => {
  const loaded = (messages: ReturnType<typeof fromPeer>[], base = openWith()) =>
    chatReducer(base, { type: "history/loaded", target: { kind: "direct", peerId: PEER.id }, mode: "initial", messages, hasOlder: false });

  it("when a conversation with unread messages is opened, then it is marked read up to the newest message shown", () => {
    let state = listed([buildSummary({ lastMessage: fromMe(3), unreadCount: 1, lastReadSeq: 1 })], openWith());
    expect(readTarget(state)).toBeNull(); // still loading
    state = loaded([fromPeer(1), fromPeer(2), fromMe(3)], state);
    expect(readTarget(state)).toEqual({ target: { kind: "direct", peerId: PEER.id }, seq: 3 });
  });

  it("when everything shown is already read, then there is nothing to mark", () => {
    const state = loaded([fromPeer(1), fromPeer(2)], listed([buildSummary({ lastMessage: fromPeer(2), lastReadSeq: 2 })], openWith()));
    expect(readTarget(state)).toBeNull();
  });

  it("when only my own messages are new, then there is nothing to mark", () => {
    const state = loaded([fromPeer(1), fromMe(2)], listed([buildSummary({ lastMessage: fromMe(2), lastReadSeq: 1 })], openWith()));
    expect(readTarget(state)).toBeNull();
  });

  it("when a message arrives while the conversation is open, then it is marked read, but only while the tab is visible", () => {
    let state = loaded([fromPeer(1)], listed([buildSummary({ lastMessage: fromPeer(1), lastReadSeq: 1 })], openWith()));
    state = chatReducer(state, { type: "visibility/changed", visible: false });
    state = chatReducer(state, { type: "message/received", message: fromPeer(2, { createdAt: later(1) }) });
    expect(readTarget(state)).toBeNull();
    state = chatReducer(state, { type: "visibility/changed", visible: true });
    expect(readTarget(state)).toEqual({ target: { kind: "direct", peerId: PEER.id }, seq: 2 });
    // The server's answer moves my position: done.
    state = chatReducer(state, {
      type: "read/updated",
      state: { conversationId: CONVERSATION, userId: ME, peerId: PEER.id, lastReadSeq: 2 },
    });
    expect(readTarget(state)).toBeNull();
    expect(state.conversations[0]?.unreadCount).toBe(0);
  });

  it("when the peer reads my messages, then the newest one they read shows Seen", () => {
    const messages = [fromPeer(1), fromMe(2), fromMe(3), fromMe(4)];
    expect(seenMessageId(messages, ME, 1)).toBeNull();
    expect(seenMessageId(messages, ME, 3)).toBe(messages[2]!.id);
    expect(seenMessageId(messages, ME, 4)).toBe(messages[3]!.id);
  });

  it("when the peer replied after reading, then no Seen is shown (the reply says it)", () => {
    const messages = [fromMe(1), fromPeer(2)];
    expect(seenMessageId(messages, ME, 2)).toBeNull();
    expect(seenMessageId([...messages, fromMe(3)], ME, 2)).toBeNull();
  });

  it("when the peer's read position arrives live, then the list entry carries it", () => {
    let state = listed([buildSummary({ lastMessage: fromMe(3), peerLastReadSeq: 1 })]);
    state = chatReducer(state, {
      type: "read/updated",
      state: { conversationId: CONVERSATION, userId: PEER.id, peerId: ME, lastReadSeq: 3 },
    });
    expect(state.conversations[0]?.peerLastReadSeq).toBe(3);
  });

  it("when a read position arrives for a conversation not listed yet, then the list is fetched again", () => {
    const state = chatReducer(createChatState(ME), {
      type: "read/updated",
      state: { conversationId: CONVERSATION, userId: PEER.id, peerId: ME, lastReadSeq: 1 },
    });
    expect(state.conversationsStale).toBe(true);
  });
});

describe("presence and typing", () => {
  it("when presence answers and then changes, then each peer's latest state is kept", () => {
    let state = chatReducer(createChatState(ME), {
      type: "presence/loaded",
      states: [
        { userId: PEER.id, online: true, lastSeenAt: null },
        { userId: OTHER.id, online: false, lastSeenAt: "2024-01-01T10:00:00.000Z" },
      ],
    });
    state = chatReducer(state, {
      type: "presence/updated",
      state: { userId: PEER.id, online: false, lastSeenAt: "2024-01-02T10:00:00.000Z" },
    });
    expect(state.presence[PEER.id]).toEqual({ userId: PEER.id, online: false, lastSeenAt: "2024-01-02T10:00:00.000Z" });
    expect(state.presence[OTHER.id]?.online).toBe(false);
  });

  it("when the peer types and then their message arrives, then the indicator goes away", () => {
    let state = chatReducer(openWith(), { type: "typing/updated", from: PEER.id, typing: true });
    expect(state.typing).toEqual([PEER.id]);
    expect(chatReducer(state, { type: "typing/updated", from: PEER.id, typing: true })).toBe(state);
    state = chatReducer(state, { type: "message/received", message: fromPeer(1) });
    expect(state.typing).toEqual([]);
  });

  it("when the peer stops typing, then the indicator goes away", () => {
    let state = chatReducer(openWith(), { type: "typing/updated", from: PEER.id, typing: true });
    state = chatReducer(state, { type: "typing/updated", from: OTHER.id, typing: true });
    state = chatReducer(state, { type: "typing/updated", from: PEER.id, typing: false });
    expect(state.typing).toEqual([OTHER.id]);
  });
});

describe("conversations keyed by id", () => {
  const GROUP = "00000000-0000-4000-8000-0000000000c2";
  const inGroup = (seq: number, overrides = {}) =>
    buildMessage({ conversationId: GROUP, seq, senderId: PEER.id, recipientId: null, createdAt: later(seq), ...overrides });
  const openGroup = (base = createChatState(ME)) =>
    chatReducer(base, { type: "open", conversation: { kind: "group", conversationId: GROUP, name: "Team" } });

  it("when a direct view opened before its conversation existed meets the list, then it learns its id", () => {
    const state = listed([buildSummary()], openWith());
    expect(state.view?.conversationId).toBe(CONVERSATION);
  });

  it("when a group message arrives, then a direct view with one of its members does not take it, the group view does", () => {
    const direct = chatReducer(openWith(), { type: "message/received", message: inGroup(1) });
    expect(direct.view?.messages).toEqual([]);
    const group = chatReducer(openGroup(), { type: "message/received", message: inGroup(1) });
    expect(group.view?.messages.map((m) => m.seq)).toEqual([1]);
  });

  it("when a group's history answers after another group was opened, then it is ignored", () => {
    let state = openGroup();
    state = chatReducer(state, { type: "open", conversation: { kind: "group", conversationId: CONVERSATION, name: null } });
    state = chatReducer(state, {
      type: "history/loaded",
      target: { kind: "group", conversationId: GROUP },
      mode: "initial",
      messages: [inGroup(1)],
    });
    expect(state.view).toMatchObject({ conversationId: CONVERSATION, messages: [], loading: "initial" });
  });

  it("when members type in groups, then each group keeps its own typers, and a message from one clears them", () => {
    let state = openGroup();
    state = chatReducer(state, { type: "typing/updated", from: PEER.id, typing: true, conversationId: GROUP });
    state = chatReducer(state, { type: "typing/updated", from: OTHER.id, typing: true, conversationId: GROUP });
    state = chatReducer(state, { type: "typing/updated", from: OTHER.id, typing: true, conversationId: CONVERSATION });
    expect(state.groupTyping).toEqual({ [GROUP]: [PEER.id, OTHER.id], [CONVERSATION]: [OTHER.id] });
    expect(state.typing).toEqual([]);
    state = chatReducer(state, { type: "message/received", message: inGroup(1) });
    expect(state.groupTyping[GROUP]).toEqual([OTHER.id]);
  });

  it("when I am added to a group I do not list, then the list is fetched again; removed, it leaves the list", () => {
    let state = chatReducer(createChatState(ME), {
      type: "conversation/updated",
      update: { conversationId: GROUP, name: "Team", memberIds: [ME, PEER.id, OTHER.id], removedIds: [] },
    });
    expect(state.conversationsStale).toBe(true);
    state = listed([buildSummary({ id: GROUP, kind: "group", name: "Team", peer: null, lastMessage: inGroup(1) })], openGroup());
    state = chatReducer(state, {
      type: "conversation/updated",
      update: { conversationId: GROUP, name: "Team", memberIds: [PEER.id, OTHER.id], removedIds: [ME] },
    });
    expect(state.conversations).toEqual([]);
    expect(state.view).toMatchObject({ conversationId: GROUP, removed: true });
    expect(readTarget(state)).toBeNull();
  });
});
