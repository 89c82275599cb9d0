import type { OutboxItem } from "@/lib/client/outbox";
import type { ChatMessage, ConversationSummary, UserProfile } from "@/lib/types";

export type { OutboxItem };

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
  /** Newest activity first. */
  conversations: ConversationSummary[];
  conversationsLoaded: boolean;
  /** A message arrived for a conversation the list does not have yet: fetch the list again. */
  conversationsStale: boolean;
  /** Conversation ids with messages from the peer not seen yet. */
  unread: string[];
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
  | { type: "conversations/loaded"; conversations: ConversationSummary[] };

export function createChatState(me: string): ChatState {
  return {
    me,
    view: null,
    outbox: [],
    conversations: [],
    conversationsLoaded: false,
    conversationsStale: false,
    unread: [],
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

const byActivity = (a: ConversationSummary, b: ConversationSummary) =>
  Date.parse(b.lastMessageAt) - Date.parse(a.lastMessageAt);

/** Records `message` as the latest of its conversation, unless the list already holds a newer one. */
function touchConversation(state: ChatState, message: ChatMessage): ChatState {
  const existing = state.conversations.find((conversation) => conversation.id === message.conversationId);
  if (existing) {
    if (existing.lastMessage.seq >= message.seq) return state;
    const updated = { ...existing, lastMessage: message, lastMessageAt: message.createdAt };
    return {
      ...state,
      conversations: state.conversations.map((c) => (c.id === existing.id ? updated : c)).sort(byActivity),
    };
  }
  const peerId = peerOf(message, state.me);
  // A first message with the open peer: we already know who they are.
  if (state.view?.peer.id === peerId) {
    const created: ConversationSummary = {
      id: message.conversationId,
      peer: state.view.peer,
      lastMessage: message,
      lastMessageAt: message.createdAt,
      unreadCount: 0,
      lastReadSeq: 0,
      peerLastReadSeq: 0,
    };
    return { ...state, conversations: [created, ...state.conversations].sort(byActivity) };
  }
  return { ...state, conversationsStale: true };
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case "open": {
      const seen = state.conversations.filter((c) => c.peer.id === action.peer.id).map((c) => c.id);
      return {
        ...state,
        view: { peer: action.peer, messages: [], hasOlder: false, loading: "initial", error: null, synced: null },
        unread: state.unread.filter((id) => !seen.includes(id)),
      };
    }
    case "close":
      return { ...state, view: null };

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
        action.mode === "older"
          ? view.synced
          : advanceSynced(messages, action.mode === "reset" ? null : view.synced, action.messages);
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
      } else if (message.senderId !== state.me && !next.unread.includes(message.conversationId)) {
        next = { ...next, unread: [...next.unread, message.conversationId] };
      }
      return touchConversation(next, message);
    }

    case "outbox/synced":
      return state.outbox === action.items ? state : { ...state, outbox: action.items };

    case "conversations/loaded": {
      // Keep a newer last message we got live while the list was in flight.
      const held = new Map(state.conversations.map((c) => [c.id, c]));
      const conversations = action.conversations
        .map((fetched) => {
          const current = held.get(fetched.id);
          return current && current.lastMessage.seq > fetched.lastMessage.seq
            ? { ...fetched, lastMessage: current.lastMessage, lastMessageAt: current.lastMessageAt }
            : fetched;
        })
        .sort(byActivity);
      return { ...state, conversations, conversationsLoaded: true, conversationsStale: false };
    }
  }
}
