import type { ChatMessage, ConversationSummary, UserProfile } from "@/lib/types";

/** A message of ours the server has not confirmed yet. */
export interface OutboxItem {
  clientId: string;
  recipientId: string;
  content: string;
  createdAt: string;
  status: "sending" | "failed";
  error?: string;
}

/** The open conversation. */
export interface ConversationView {
  peer: UserProfile;
  /** Confirmed messages: unique by id, sorted by seq. */
  messages: ChatMessage[];
  hasOlder: boolean;
  loading: "initial" | "older" | null;
  error: string | null;
}

export interface ChatState {
  me: string;
  view: ConversationView | null;
  /** Pending and failed sends for every conversation, oldest first. */
  outbox: OutboxItem[];
  /** Newest activity first. */
  conversations: ConversationSummary[];
  conversationsLoaded: boolean;
  /** A message arrived for a conversation the list does not have yet: fetch the list again. */
  conversationsStale: boolean;
  /** Conversation ids with messages from the peer not seen yet. */
  unread: string[];
}

/** `initial`: the latest page; `older`: scrolling back; `after`: catching up after a reconnect. */
export type HistoryMode = "initial" | "older" | "after";

export type ChatAction =
  | { type: "open"; peer: UserProfile }
  | { type: "close" }
  | { type: "history/loading"; peerId: string; mode: "initial" | "older" }
  | { type: "history/loaded"; peerId: string; mode: HistoryMode; messages: ChatMessage[]; hasOlder?: boolean }
  | { type: "history/failed"; peerId: string; mode: HistoryMode; error: string }
  | { type: "message/received"; message: ChatMessage }
  | { type: "send/started"; item: OutboxItem }
  | { type: "send/failed"; clientId: string; error: string }
  | { type: "send/discarded"; clientId: string }
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
    const created = { id: message.conversationId, peer: state.view.peer, lastMessage: message, lastMessageAt: message.createdAt };
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
        view: { peer: action.peer, messages: [], hasOlder: false, loading: "initial", error: null },
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
      const messages = mergeMessages(view.messages, action.messages);
      const confirmed = new Set(action.messages.filter((m) => m.senderId === state.me).map((m) => m.clientId));
      return {
        ...state,
        view: {
          ...view,
          messages,
          hasOlder: action.hasOlder ?? view.hasOlder,
          loading: view.loading === action.mode ? null : view.loading,
          error: null,
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
        if (messages !== next.view.messages) next = { ...next, view: { ...next.view, messages } };
      } else if (message.senderId !== state.me && !next.unread.includes(message.conversationId)) {
        next = { ...next, unread: [...next.unread, message.conversationId] };
      }
      return touchConversation(next, message);
    }

    case "send/started": {
      const rest = state.outbox.filter((item) => item.clientId !== action.item.clientId);
      return { ...state, outbox: [...rest, action.item] };
    }
    case "send/failed":
      return {
        ...state,
        outbox: state.outbox.map((item) =>
          item.clientId === action.clientId ? { ...item, status: "failed", error: action.error } : item,
        ),
      };
    case "send/discarded":
      return { ...state, outbox: state.outbox.filter((item) => item.clientId !== action.clientId) };

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
