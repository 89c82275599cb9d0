import type { NotificationSupport } from "@/lib/client/notifications";
import type { OutboxItem } from "@/lib/client/outbox";
import type { ConnectionState } from "@/lib/client/socket";
import type { PresenceState } from "socket-server/contract";
import type { ChatMessage, ConversationSummary, ReadState, UserProfile } from "@/lib/types";

export type { ConnectionState, NotificationSupport, OutboxItem };

/** A position in a conversation. */
export interface Position {
  id: string;
  seq: number;
}

/** The open conversation. */
export interface ConversationView {
  peer: UserProfile;
  /** Confirmed messages: unique by id, sorted by seq. */
  messages: ChatMessage[];
  hasOlder: boolean;
  loading: "initial" | "older" | null;
  error: string | null;
  /**
   * Every message up to here is held: catch-up asks for what comes `after` it. Live messages
   * move it only while they are contiguous (seq + 1), so one that arrives past a lost push
   * leaves it in place, and the next catch-up fetches the gap. Null until a page arrives.
   */
  synced: Position | null;
}

export interface ChatState {
  me: string;
  view: ConversationView | null;
  /** Pending and failed sends for every conversation, in queue order (a copy of the durable outbox). */
  outbox: OutboxItem[];
  /** Newest activity first; each with its unread count and both read positions. */
  conversations: ConversationSummary[];
  conversationsLoaded: boolean;
  /** The list could not be loaded (shown with a retry while nothing is loaded). */
  conversationsError: string | null;
  /** The list lacks something we were told about (a new conversation, a read position): fetch it again. */
  conversationsStale: boolean;
  /** This tab is visible: messages arriving in the open conversation are read as they come. */
  visible: boolean;
  /** Online state of the peers we follow, by user id. */
  presence: Record<string, PresenceState>;
  /** Peers typing to us right now. */
  typing: string[];
  /** The realtime connection; `signed-out` once the session ended. */
  connection: ConnectionState;
  /** The session ended (signed out elsewhere, expired): the user must sign in again. */
  sessionEnded: boolean;
  /** A one-line message for the user (e.g. sign-out failed), until dismissed. */
  notice: string | null;
  /** Who is signed in, as others see them. */
  profile: UserProfile;
  notifications: { support: NotificationSupport; enabled: boolean };
  /**
   * A conversation asked for by its peer's id (a link, Back/Forward) that is not open yet:
   * `resolving` while the conversation list is on its way, `missing` when it is not one of
   * ours (or not a user at all).
   */
  route: { peerId: string; status: "resolving" | "missing" } | null;
}

/**
 * `initial`: the latest page; `older`: scrolling back; `after`: catching up after a reconnect;
 * `reset`: the latest page again, replacing what is held after a gap too long to catch up.
 */
export type HistoryMode = "initial" | "older" | "after" | "reset";

export type ChatAction =
  | { type: "open"; peer: UserProfile }
  | { type: "close" }
  | { type: "history/loading"; peerId: string; mode: "initial" | "older" }
  | { type: "history/loaded"; peerId: string; mode: HistoryMode; messages: ChatMessage[]; hasOlder?: boolean }
  | { type: "history/failed"; peerId: string; mode: HistoryMode; error: string }
  | { type: "message/received"; message: ChatMessage }
  | { type: "outbox/synced"; items: OutboxItem[] }
  | { type: "conversations/loaded"; conversations: ConversationSummary[] }
  | { type: "conversations/failed"; error: string }
  | { type: "read/updated"; state: ReadState }
  | { type: "visibility/changed"; visible: boolean }
  | { type: "presence/loaded"; states: PresenceState[] }
  | { type: "presence/updated"; state: PresenceState }
  | { type: "typing/updated"; from: string; typing: boolean }
  | { type: "connection/changed"; state: ConnectionState }
  | { type: "session/ended" }
  | { type: "notice/changed"; notice: string | null }
  | { type: "profile/loaded"; profile: UserProfile }
  | { type: "notifications/changed"; support: NotificationSupport; enabled: boolean }
  | { type: "route/changed"; route: ChatState["route"] };

export function createChatState(me: string, visible = true, email = ""): ChatState {
  return {
    me,
    view: null,
    outbox: [],
    conversations: [],
    conversationsLoaded: false,
    conversationsError: null,
    conversationsStale: false,
    visible,
    presence: {},
    typing: [],
    connection: "connecting",
    sessionEnded: false,
    notice: null,
    profile: { id: me, email, displayName: null },
    notifications: { support: "default", enabled: false },
    route: null,
  };
}

/** The other participant of a message, seen from `me`. */
export function peerOf(message: ChatMessage, me: string): string {
  return message.senderId === me ? message.recipientId : message.senderId;
}

/** Adds messages, dropping duplicates by id, and keeps commit order (seq). */
export function mergeMessages(current: ChatMessage[], incoming: ChatMessage[]): ChatMessage[] {
  if (incoming.length === 0) return current;
  const byId = new Map(current.map((message) => [message.id, message]));
  let changed = false;
  for (const message of incoming) {
    if (!byId.has(message.id)) {
      byId.set(message.id, message);
      changed = true;
    }
  }
  if (!changed) return current;
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * Moves `synced` forward over the held messages that follow it without a gap, and never back.
 * `page`: a history page that answered `after` synced (or the newest page), so it is gapless up to its end.
 */
export function advanceSynced(messages: ChatMessage[], synced: Position | null, page: ChatMessage[] = []): Position | null {
  let position = synced;
  const pageLast = page.at(-1);
  if (pageLast && (!position || pageLast.seq > position.seq)) position = { id: pageLast.id, seq: pageLast.seq };
  if (!position) return null;
  let index = messages.findIndex((message) => message.id === position!.id);
  if (index < 0) return position;
  while (index + 1 < messages.length && messages[index + 1]!.seq === messages[index]!.seq + 1) index += 1;
  const last = messages[index]!;
  return last.id === position.id ? position : { id: last.id, seq: last.seq };
}

/** The view holds messages past its synced position (a push was lost or is late), or never synced. */
export function needsCatchUp(view: ConversationView): boolean {
  if (view.loading === "initial") return false;
  const last = view.messages.at(-1);
  if (!view.synced) return last !== undefined || view.error !== null;
  return last !== undefined && last.seq > view.synced.seq;
}

const byActivity = (a: ConversationSummary, b: ConversationSummary) => Date.parse(b.lastMessageAt) - Date.parse(a.lastMessageAt);

/** The conversation with `peerId` is on screen: its new messages are read as they arrive. */
export function isReading(state: ChatState, peerId: string): boolean {
  return state.visible && state.view?.peer.id === peerId;
}

/**
 * Records `message` as the latest of its conversation, unless the list already holds a newer
 * one. A new message from the peer counts as unread unless the conversation is being read.
 */
function touchConversation(state: ChatState, message: ChatMessage): ChatState {
  const existing = state.conversations.find((conversation) => conversation.id === message.conversationId);
  const peerId = peerOf(message, state.me);
  const unread = message.senderId !== state.me && !isReading(state, peerId);
  if (existing) {
    if (existing.lastMessage.seq >= message.seq) return state;
    const counts = unread && message.seq > existing.lastReadSeq;
    const updated = {
      ...existing,
      lastMessage: message,
      lastMessageAt: message.createdAt,
      unreadCount: existing.unreadCount + (counts ? 1 : 0),
    };
    return {
      ...state,
      conversations: state.conversations.map((c) => (c.id === existing.id ? updated : c)).sort(byActivity),
    };
  }
  // A first message with the open peer: we already know who they are.
  if (state.view?.peer.id === peerId) {
    const created: ConversationSummary = {
      id: message.conversationId,
      peer: state.view.peer,
      lastMessage: message,
      lastMessageAt: message.createdAt,
      unreadCount: unread ? 1 : 0,
      lastReadSeq: 0,
      peerLastReadSeq: 0,
    };
    return { ...state, conversations: [created, ...state.conversations].sort(byActivity) };
  }
  return { ...state, conversationsStale: true };
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case "open":
      // Unread counts clear once the read position moves (read/updated), not merely on opening.
      return {
        ...state,
        route: null,
        view: { peer: action.peer, messages: [], hasOlder: false, loading: "initial", error: null, synced: null },
      };
    case "close":
      return { ...state, view: null, route: null };

    case "history/loading": {
      if (state.view?.peer.id !== action.peerId) return state;
      return { ...state, view: { ...state.view, loading: action.mode, error: null } };
    }
    case "history/loaded": {
      const view = state.view;
      if (view?.peer.id !== action.peerId) return state;
      // Merged, never replaced: live messages may have arrived while the page was in flight.
      // A reset keeps only what is newer than the page: older held messages may sit past a gap.
      const first = action.messages[0];
      const kept = action.mode === "reset" && first ? view.messages.filter((m) => m.seq >= first.seq) : view.messages;
      const messages = mergeMessages(kept, action.messages);
      const synced =
        action.mode === "older" ? view.synced : advanceSynced(messages, action.mode === "reset" ? null : view.synced, action.messages);
      const confirmed = new Set(action.messages.filter((m) => m.senderId === state.me).map((m) => m.clientId));
      return {
        ...state,
        view: {
          ...view,
          messages,
          hasOlder: action.hasOlder ?? view.hasOlder,
          loading: view.loading === action.mode ? null : view.loading,
          error: null,
          synced,
        },
        outbox: confirmed.size > 0 ? state.outbox.filter((item) => !confirmed.has(item.clientId)) : state.outbox,
      };
    }
    case "history/failed": {
      const view = state.view;
      if (view?.peer.id !== action.peerId) return state;
      return { ...state, view: { ...view, loading: view.loading === action.mode ? null : view.loading, error: action.error } };
    }

    case "message/received": {
      const { message } = action;
      const peerId = peerOf(message, state.me);
      let next = state;
      if (message.senderId === state.me && state.outbox.some((item) => item.clientId === message.clientId)) {
        next = { ...next, outbox: next.outbox.filter((item) => item.clientId !== message.clientId) };
      }
      if (next.view?.peer.id === peerId) {
        const messages = mergeMessages(next.view.messages, [message]);
        if (messages !== next.view.messages) {
          next = { ...next, view: { ...next.view, messages, synced: advanceSynced(messages, next.view.synced) } };
        }
      }
      // Their message is what they were typing.
      if (next.typing.includes(message.senderId)) next = { ...next, typing: next.typing.filter((id) => id !== message.senderId) };
      return touchConversation(next, message);
    }

    case "outbox/synced":
      return state.outbox === action.items ? state : { ...state, outbox: action.items };

    case "conversations/loaded": {
      // What we learned live while the list was in flight wins: a newer last message (with the
      // unread count that came with it) and read positions further on (they only move forward).
      const held = new Map(state.conversations.map((c) => [c.id, c]));
      const conversations = action.conversations
        .map((fetched) => {
          const current = held.get(fetched.id);
          if (!current) return fetched;
          const newerHeld = current.lastMessage.seq > fetched.lastMessage.seq;
          const merged: ConversationSummary = {
            ...fetched,
            ...(newerHeld && { lastMessage: current.lastMessage, lastMessageAt: current.lastMessageAt, unreadCount: current.unreadCount }),
            lastReadSeq: Math.max(fetched.lastReadSeq, current.lastReadSeq),
            peerLastReadSeq: Math.max(fetched.peerLastReadSeq, current.peerLastReadSeq),
          };
          return merged.lastReadSeq >= merged.lastMessage.seq ? { ...merged, unreadCount: 0 } : merged;
        })
        .sort(byActivity);
      return { ...state, conversations, conversationsLoaded: true, conversationsError: null, conversationsStale: false };
    }
    case "conversations/failed":
      return { ...state, conversationsError: action.error, conversationsStale: false };

    case "read/updated": {
      const read = action.state;
      const existing = state.conversations.find((c) => c.id === read.conversationId);
      // A conversation we do not list yet: the list fetched again will carry the position.
      if (!existing) return { ...state, conversationsStale: true };
      let updated = existing;
      if (read.userId === state.me && read.lastReadSeq > existing.lastReadSeq) {
        updated = { ...existing, lastReadSeq: read.lastReadSeq };
        if (read.lastReadSeq >= existing.lastMessage.seq) updated.unreadCount = 0;
        // Read part of the way (rare: another tab read up to an older message): the server knows how many remain.
        else if (existing.unreadCount > 0) return replaceConversation({ ...state, conversationsStale: true }, updated);
      } else if (read.userId !== state.me && read.lastReadSeq > existing.peerLastReadSeq) {
        updated = { ...existing, peerLastReadSeq: read.lastReadSeq };
      }
      return updated === existing ? state : replaceConversation(state, updated);
    }

    case "visibility/changed":
      return state.visible === action.visible ? state : { ...state, visible: action.visible };

    case "presence/loaded": {
      if (action.states.length === 0) return state;
      const presence = { ...state.presence };
      for (const entry of action.states) presence[entry.userId] = entry;
      return { ...state, presence };
    }
    case "presence/updated":
      return { ...state, presence: { ...state.presence, [action.state.userId]: action.state } };

    case "typing/updated": {
      const has = state.typing.includes(action.from);
      if (has === action.typing) return state;
      return { ...state, typing: action.typing ? [...state.typing, action.from] : state.typing.filter((id) => id !== action.from) };
    }

    case "connection/changed":
      // Once ended, the session stays ended whatever the socket reports.
      if (state.sessionEnded || state.connection === action.state) return state;
      return { ...state, connection: action.state };
    case "session/ended":
      return state.sessionEnded ? state : { ...state, sessionEnded: true, connection: "signed-out" };
    case "notice/changed":
      return state.notice === action.notice ? state : { ...state, notice: action.notice };
    case "profile/loaded":
      return { ...state, profile: action.profile };
    case "notifications/changed":
      return { ...state, notifications: { support: action.support, enabled: action.enabled } };
    case "route/changed":
      return { ...state, route: action.route, view: action.route ? null : state.view };
  }
}

function replaceConversation(state: ChatState, updated: ConversationSummary): ChatState {
  return { ...state, conversations: state.conversations.map((c) => (c.id === updated.id ? updated : c)) };
}

/** The list entry for the conversation with `peerId`, if it has one yet. */
export function conversationWith(state: ChatState, peerId: string): ConversationSummary | undefined {
  return state.conversations.find((conversation) => conversation.peer.id === peerId);
}

/** Unread messages across every conversation (the tab title's count). */
export function totalUnread(state: ChatState): number {
  return state.conversations.reduce((sum, conversation) => sum + conversation.unreadCount, 0);
}

/** The tab title carries the unread total, as every chat does: "(3) Chat". */
export function documentTitle(unread: number): string {
  return unread > 0 ? `(${unread > 99 ? "99+" : unread}) Chat` : "Chat";
}

/**
 * What to mark read now: the open conversation up to its newest message, when it is on
 * screen and holds a message from the peer past our read position (or the list says unread).
 */
export function readTarget(state: ChatState): { peerId: string; seq: number } | null {
  const view = state.view;
  if (!view || !state.visible || view.loading === "initial") return null;
  const newest = view.messages.at(-1);
  if (!newest) return null;
  const conversation = conversationWith(state, view.peer.id);
  const lastReadSeq = conversation?.lastReadSeq ?? 0;
  if (newest.seq <= lastReadSeq) return null;
  const unseen = (conversation?.unreadCount ?? 0) > 0 || view.messages.some((m) => m.senderId !== state.me && m.seq > lastReadSeq);
  return unseen ? { peerId: view.peer.id, seq: newest.seq } : null;
}

/**
 * The message that carries "Seen": my newest message the peer has read, unless the peer
 * wrote after it (their reply says as much).
 */
export function seenMessageId(messages: ChatMessage[], me: string, peerLastReadSeq: number): string | null {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index]!;
    if (message.senderId !== me) return null;
    if (message.seq <= peerLastReadSeq) return message.id;
  }
  return null;
}
