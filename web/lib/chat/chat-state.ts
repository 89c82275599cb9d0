import type { NotificationSupport } from "@/lib/client/notifications";
import type { OutboxItem } from "@/lib/client/outbox";
import type { UploadItem } from "@/lib/client/uploads";
import type { ConnectionState } from "@/lib/client/socket";
import type { PresenceState } from "socket-server/contract";
import {
  applyChangesPage,
  changesBehind,
  creationChange,
  isNewer,
  putMessage,
  receiveChange,
  settleCursor,
  type ChangeCursor,
} from "./changes";
import type {
  Change,
  ChatMessage,
  ConversationDetail,
  ConversationMember,
  ConversationSummary,
  ConversationUpdate,
  ReadState,
  UserProfile,
} from "@/lib/types";

export type {
  ChatMessage,
  ConnectionState,
  ConversationDetail,
  ConversationMember,
  ConversationSummary,
  NotificationSupport,
  OutboxItem,
  UploadItem,
};

/** A position in a conversation. */
export interface Position {
  id: string;
  seq: number;
}

/**
 * A conversation as a link or a click names it: the direct one with a person (which may not
 * exist yet: the first message creates it), or a group by its id.
 */
export type ConversationTarget = { kind: "direct"; peerId: string } | { kind: "group"; conversationId: string };

/** A stable string per target (drafts, typing, read marks): the peer's id, or `g:` and the group's id. */
export function targetKey(target: ConversationTarget): string {
  return target.kind === "group" ? `g:${target.conversationId}` : target.peerId;
}

/** The open conversation. */
export interface ConversationView extends ChangeCursor {
  kind: "direct" | "group";
  /**
   * The conversation shown; null only for a direct conversation with `peer` that holds no
   * message yet (the first one, sent or received, creates it and sets this).
   */
  conversationId: string | null;
  /** Direct: the other person. Null in a group. */
  peer: UserProfile | null;
  /** Group: its name (kept current by `conversation:updated`). Null for direct. */
  name: string | null;
  /** Group: every member with their role, once `GET /api/chat/conversations/ID` answered; null until then (and for direct). */
  members: ConversationMember[] | null;
  /**
   * Group: I am no longer a member (removed, or left in another tab): what was held stays on
   * screen, nothing more arrives, and nothing can be sent.
   */
  removed: boolean;
  /** Confirmed messages (text and system): unique by id, sorted by seq. */
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
  /** The message the composer replies to (the reply bar), until sent or cancelled. */
  replyingTo: string | null;
}

export interface ChatState {
  me: string;
  view: ConversationView | null;
  /** Pending and failed sends for every conversation, in queue order (a copy of the durable outbox). */
  outbox: OutboxItem[];
  /** This tab's uploads: in composers (`clientId` null) and of unsent messages (a copy of `Uploads`). */
  uploads: UploadItem[];
  /** Newest activity first; each with its unread count and the members' read positions. */
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
  /** Peers typing to us right now in our direct conversations. */
  typing: string[];
  /** Members typing right now in a group, by conversation id (who: user ids, in the order they started). */
  groupTyping: Record<string, string[]>;
  /** Everyone whose profile we have seen (list, members, people opened): names for senders and system messages. */
  people: Record<string, UserProfile>;
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
   * A conversation asked for by a link (or Back/Forward) that is not open yet: `resolving`
   * while the conversation list is on its way, `missing` when it is not one of ours (or not a
   * user at all).
   */
  route: { target: ConversationTarget; status: "resolving" | "missing" } | null;
}

/**
 * `initial`: the latest page; `older`: scrolling back; `after`: catching up after a reconnect;
 * `reset`: the latest page again, replacing what is held after a gap too long to catch up.
 */
export type HistoryMode = "initial" | "older" | "after" | "reset";

/** What `open` shows: a direct conversation (its id when it exists) or a group. */
export type OpenedConversation =
  { kind: "direct"; peer: UserProfile; conversationId: string | null } | { kind: "group"; conversationId: string; name: string | null };

export type ChatAction =
  | { type: "open"; conversation: OpenedConversation }
  | { type: "close" }
  | { type: "history/loading"; target: ConversationTarget; mode: "initial" | "older" }
  | {
      type: "history/loaded";
      target: ConversationTarget;
      mode: HistoryMode;
      messages: ChatMessage[];
      hasOlder?: boolean;
      /** The list's change position for this conversation, read before this page was asked for (a floor for the cursor). */
      listedPos?: number;
    }
  | { type: "history/failed"; target: ConversationTarget; mode: HistoryMode; error: string }
  | { type: "message/received"; message: ChatMessage }
  /** A live `message:changed`. */
  | { type: "message/changed"; change: Change }
  /** A page of the change stream (catch-up); `lastPos` when it reached the end. */
  | { type: "changes/loaded"; target: ConversationTarget; changes: Change[]; lastPos: number | null }
  /**
   * The server answered an edit, deletion or reaction of ours with the message as it is now: asked
   * with the cursor at `since`, while the view held `held` (the very object) for that message.
   */
  | { type: "message/updated"; message: ChatMessage; since: number | null; held: ChatMessage | null }
  | { type: "reply/changed"; messageId: string | null }
  | { type: "outbox/synced"; items: OutboxItem[] }
  | { type: "uploads/synced"; items: UploadItem[] }
  | { type: "conversations/loaded"; conversations: ConversationSummary[] }
  | { type: "conversations/failed"; error: string }
  /** A conversation of ours as the server just described it (created, fetched, changed by us). */
  | { type: "conversation/detail"; detail: ConversationDetail }
  | { type: "conversation/updated"; update: ConversationUpdate }
  /** I am no longer a member of this group (removed, left, or the server says it is not ours). */
  | { type: "conversation/left"; conversationId: string }
  | { type: "read/updated"; state: ReadState }
  | { type: "visibility/changed"; visible: boolean }
  | { type: "presence/loaded"; states: PresenceState[] }
  | { type: "presence/updated"; state: PresenceState }
  | { type: "typing/updated"; from: string; typing: boolean; conversationId?: string }
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
    uploads: [],
    conversations: [],
    conversationsLoaded: false,
    conversationsError: null,
    conversationsStale: false,
    visible,
    presence: {},
    typing: [],
    groupTyping: {},
    people: {},
    connection: "connecting",
    sessionEnded: false,
    notice: null,
    profile: { id: me, email, displayName: null },
    notifications: { support: "default", enabled: false },
    route: null,
  };
}

/** The other participant of a direct message, seen from `me`; null for a group message. */
export function peerOf(message: ChatMessage, me: string): string | null {
  if (message.recipientId === null) return null;
  return message.senderId === me ? message.recipientId : message.senderId;
}

/** What the view shows, as a target (a direct view by its peer: its id may not exist yet). */
export function targetOf(view: Pick<ConversationView, "kind" | "conversationId" | "peer">): ConversationTarget {
  return view.kind === "group"
    ? { kind: "group", conversationId: view.conversationId ?? "" }
    : { kind: "direct", peerId: view.peer?.id ?? "" };
}

/** The view shows `target`. A direct conversation is one per pair, so its peer names it as well as its id. */
export function isViewOf(view: ConversationView | null, target: ConversationTarget): view is ConversationView {
  if (!view || view.kind !== target.kind) return false;
  return target.kind === "group" ? view.conversationId === target.conversationId : view.peer?.id === target.peerId;
}

/** The message belongs to the open conversation (by id; a direct view not created yet by its peer). */
export function belongsToView(view: ConversationView, message: ChatMessage, me: string): boolean {
  if (view.conversationId !== null) return message.conversationId === view.conversationId;
  return view.kind === "direct" && view.peer !== null && peerOf(message, me) === view.peer.id;
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
  if (view.loading === "initial" || view.removed) return false;
  const last = view.messages.at(-1);
  if (!view.synced) return last !== undefined || view.error !== null;
  return (last !== undefined && last.seq > view.synced.seq) || changesBehind(view);
}

/** The list's last message is this one as it is now (edited, deleted, reacted to). */
function refreshListed(state: ChatState, message: ChatMessage): ChatState {
  const existing = state.conversations.find((conversation) => conversation.id === message.conversationId);
  if (existing?.lastMessage.id !== message.id || existing.lastMessage === message) return state;
  return replaceConversation(state, { ...existing, lastMessage: message });
}

/** The open view, changed by `update` when `message` belongs to it. */
function updateView(state: ChatState, message: ChatMessage, update: (view: ConversationView) => ConversationView): ChatState {
  const view = state.view;
  if (!view || view.removed || !belongsToView(view, message, state.me)) return state;
  const next = update(view);
  if (next === view) return state;
  return { ...state, view: { ...next, synced: advanceSynced(next.messages, next.synced) } };
}

const byActivity = (a: ConversationSummary, b: ConversationSummary) => Date.parse(b.lastMessageAt) - Date.parse(a.lastMessageAt);

/** The message's conversation is on screen: its new messages are read as they arrive. */
export function isReading(state: ChatState, message: ChatMessage): boolean {
  return state.visible && state.view !== null && !state.view.removed && belongsToView(state.view, message, state.me);
}

/** Adds profiles to the directory; the same object when nothing is new. */
function withPeople(state: ChatState, people: (UserProfile | null | undefined)[]): ChatState {
  let directory = state.people;
  for (const person of people) {
    if (!person) continue;
    const known = directory[person.id];
    if (known && known.displayName === person.displayName && known.email === person.email) continue;
    if (directory === state.people) directory = { ...directory };
    directory[person.id] = person;
  }
  return directory === state.people ? state : { ...state, people: directory };
}

const profilesOf = (conversation: ConversationSummary) => [conversation.peer, ...conversation.members.preview];

/**
 * Records `message` as the latest of its conversation, unless the list already holds a newer
 * one. A new message from someone else counts as unread unless the conversation is being read.
 */
function touchConversation(state: ChatState, message: ChatMessage): ChatState {
  const existing = state.conversations.find((conversation) => conversation.id === message.conversationId);
  const unread = message.senderId !== state.me && !isReading(state, message);
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
  const view = state.view;
  if (view?.kind === "direct" && view.peer && belongsToView(view, message, state.me)) {
    const me = state.people[state.me] ?? state.profile;
    const created: ConversationSummary = {
      id: message.conversationId,
      kind: "direct",
      name: null,
      peer: view.peer,
      members: { count: 2, preview: [me, view.peer] },
      role: "member",
      lastMessage: message,
      lastMessageAt: message.createdAt,
      unreadCount: unread ? 1 : 0,
      lastReadSeq: 0,
      peerLastReadSeq: 0,
      readStates: [{ userId: view.peer.id, lastReadSeq: 0 }],
    };
    return { ...state, conversations: [created, ...state.conversations].sort(byActivity) };
  }
  // A conversation we do not list (new, or a group we were just added to): fetch the list again.
  return { ...state, conversationsStale: true };
}

/** The held read positions, moved forward by `incoming` (they never move back). */
function mergeReadStates(
  held: ConversationSummary["readStates"],
  incoming: ConversationSummary["readStates"],
): ConversationSummary["readStates"] {
  const positions = new Map(held.map((entry) => [entry.userId, entry.lastReadSeq]));
  return incoming.map((entry) => ({ ...entry, lastReadSeq: Math.max(entry.lastReadSeq, positions.get(entry.userId) ?? 0) }));
}

/** Drops a group I left or was removed from: off the list, its typing gone, an open view marked. */
function leave(state: ChatState, conversationId: string): ChatState {
  let next = state;
  if (next.conversations.some((c) => c.id === conversationId)) {
    next = { ...next, conversations: next.conversations.filter((c) => c.id !== conversationId) };
  }
  if (next.groupTyping[conversationId]) {
    const { [conversationId]: _dropped, ...rest } = next.groupTyping;
    next = { ...next, groupTyping: rest };
  }
  if (next.view?.conversationId === conversationId && !next.view.removed) {
    next = { ...next, view: { ...next.view, removed: true, loading: null } };
  }
  return next;
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case "open": {
      const opened = action.conversation;
      // Unread counts clear once the read position moves (read/updated), not merely on opening.
      const view: ConversationView = {
        kind: opened.kind,
        conversationId: opened.conversationId,
        peer: opened.kind === "direct" ? opened.peer : null,
        name: opened.kind === "group" ? opened.name : null,
        members: null,
        removed: false,
        messages: [],
        hasOlder: false,
        loading: "initial",
        error: null,
        synced: null,
        pos: null,
        ahead: [],
        versions: {},
        replyingTo: null,
      };
      return withPeople({ ...state, route: null, view }, [view.peer]);
    }
    case "close":
      return { ...state, view: null, route: null };

    case "history/loading": {
      if (!isViewOf(state.view, action.target)) return state;
      return { ...state, view: { ...state.view, loading: action.mode, error: null } };
    }
    case "history/loaded": {
      const view = state.view;
      if (!isViewOf(view, action.target)) return state;
      // Merged, never replaced: live messages may have arrived while the page was in flight.
      // A reset keeps only what is newer than the page: older held messages may sit past a gap.
      const first = action.messages[0];
      const kept = action.mode === "reset" && first ? view.messages.filter((m) => m.seq >= first.seq) : view.messages;
      // A first page beats what came live meanwhile: those are creations (changes wait in `ahead`
      // until the cursor has its place), which the page may show edited, deleted or reacted to.
      const messages = action.mode === "initial" ? mergeMessages(action.messages, kept) : mergeMessages(kept, action.messages);
      const synced =
        action.mode === "older" ? view.synced : advanceSynced(messages, action.mode === "reset" ? null : view.synced, action.messages);
      const confirmed = new Set(action.messages.filter((m) => m.senderId === state.me).map((m) => m.clientId));
      const cursor =
        action.mode === "initial" || action.mode === "reset"
          ? settleCursor({ ...view, messages, hasOlder: action.hasOlder ?? view.hasOlder }, action.messages, action.listedPos)
          : { pos: view.pos, ahead: view.ahead, versions: view.versions, messages };
      return {
        ...state,
        view: {
          ...view,
          pos: cursor.pos,
          ahead: cursor.ahead,
          versions: cursor.versions,
          conversationId: view.conversationId ?? first?.conversationId ?? null,
          messages: cursor.messages,
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
      if (!isViewOf(view, action.target)) return state;
      return { ...state, view: { ...view, loading: view.loading === action.mode ? null : view.loading, error: action.error } };
    }

    case "message/received": {
      const { message } = action;
      let next = state;
      if (message.senderId === state.me && state.outbox.some((item) => item.clientId === message.clientId)) {
        next = { ...next, outbox: next.outbox.filter((item) => item.clientId !== message.clientId) };
      }
      const view = next.view;
      // A creation the cursor has passed (a late or repeated push) is held as it is now, or out
      // of the view's window: taking it in would show it as it was created.
      const passed = view?.pos != null && message.pos !== undefined && message.pos <= view.pos;
      if (view && !view.removed && !passed && belongsToView(view, message, state.me)) {
        const messages = mergeMessages(view.messages, [message]);
        if (messages !== view.messages || view.conversationId === null) {
          next = {
            ...next,
            view: { ...view, conversationId: message.conversationId, messages, synced: advanceSynced(messages, view.synced) },
          };
        }
        // Its creation is a position of the change stream: the next one, or a sign of a gap.
        if (message.pos !== undefined)
          next = updateView(next, message, (held) => receiveChange(held, creationChange({ ...message, pos: message.pos! })));
      }
      // Their message is what they were typing.
      if (message.recipientId !== null && next.typing.includes(message.senderId)) {
        next = { ...next, typing: next.typing.filter((id) => id !== message.senderId) };
      }
      const typers = next.groupTyping[message.conversationId];
      if (typers?.includes(message.senderId)) {
        next = { ...next, groupTyping: { ...next.groupTyping, [message.conversationId]: typers.filter((id) => id !== message.senderId) } };
      }
      return touchConversation(next, message);
    }

    case "message/changed": {
      const { change } = action;
      return refreshListed(
        updateView(state, change.message, (view) => receiveChange(view, change)),
        change.message,
      );
    }
    case "changes/loaded": {
      const view = state.view;
      if (!isViewOf(view, action.target) || view.removed) return state;
      const applied = applyChangesPage(view, action.changes, action.lastPos);
      let next: ChatState =
        applied === view ? state : { ...state, view: { ...applied, synced: advanceSynced(applied.messages, applied.synced) } };
      for (const change of action.changes) next = refreshListed(next, change.message);
      return next;
    }
    case "message/updated": {
      const { message } = action;
      const next = updateView(state, message, (view) => {
        // Anything that replaced the held message meanwhile (a change from the stream, a page of a
        // view opened again) may be newer than the answer; the stream brings our change in turn.
        if ((view.messages.find((held) => held.id === message.id) ?? null) !== action.held) return view;
        if (!isNewer(view, message.id, action.since)) return view;
        const messages = putMessage(view.messages, message, view.hasOlder);
        return messages === view.messages ? view : { ...view, messages };
      });
      return refreshListed(next, message);
    }
    case "reply/changed": {
      const view = state.view;
      if (!view || view.replyingTo === action.messageId) return state;
      return { ...state, view: { ...view, replyingTo: action.messageId } };
    }

    case "outbox/synced":
      return state.outbox === action.items ? state : { ...state, outbox: action.items };
    case "uploads/synced":
      return state.uploads === action.items ? state : { ...state, uploads: action.items };

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
            readStates: mergeReadStates(current.readStates, fetched.readStates),
          };
          return merged.lastReadSeq >= merged.lastMessage.seq ? { ...merged, unreadCount: 0 } : merged;
        })
        .sort(byActivity);
      let next: ChatState = { ...state, conversations, conversationsLoaded: true, conversationsError: null, conversationsStale: false };
      // A direct view opened before its conversation existed (or before the list came): it has an id now.
      const view = next.view;
      if (view?.kind === "direct" && view.conversationId === null && view.peer) {
        const existing = conversationWith(next, view.peer.id);
        if (existing) next = { ...next, view: { ...view, conversationId: existing.id } };
      }
      return withPeople(next, conversations.flatMap(profilesOf));
    }
    case "conversations/failed":
      return { ...state, conversationsError: action.error, conversationsStale: false };

    case "conversation/detail": {
      const { detail } = action;
      const { memberList, ...summary } = detail;
      const existing = state.conversations.find((c) => c.id === detail.id);
      let next = state;
      if (existing) {
        // The list's message and positions may be newer than the detail's (live updates since).
        const updated: ConversationSummary = {
          ...existing,
          name: summary.name,
          peer: summary.peer,
          members: summary.members,
          role: summary.role,
          readStates: mergeReadStates(existing.readStates, summary.readStates),
        };
        next = replaceConversation(next, updated);
      } else {
        next = { ...next, conversations: [summary, ...next.conversations].sort(byActivity) };
      }
      const view = next.view;
      if (view?.conversationId === detail.id && !view.removed) {
        next = { ...next, view: { ...view, name: detail.name, members: memberList } };
      }
      return withPeople(next, [...memberList.map((member) => member.user), ...profilesOf(summary)]);
    }
    case "conversation/updated": {
      const { update } = action;
      if (update.removedIds.includes(state.me)) return leave(state, update.conversationId);
      const members = new Set(update.memberIds);
      let next = state;
      const existing = state.conversations.find((c) => c.id === update.conversationId);
      if (existing) {
        const preview = existing.members.preview.filter((person) => members.has(person.id));
        next = replaceConversation(next, {
          ...existing,
          name: update.name,
          members: { count: update.memberIds.length, preview },
          readStates: existing.readStates.filter((entry) => members.has(entry.userId)),
        });
        // Someone new: their read position (and profile) come with the list.
        if (update.memberIds.some((id) => id !== state.me && !existing.readStates.some((entry) => entry.userId === id))) {
          next = { ...next, conversationsStale: true };
        }
      } else if (members.has(state.me)) {
        // Added to a group: the list fetched again brings it.
        next = { ...next, conversationsStale: true };
      }
      const view = next.view;
      if (view?.conversationId === update.conversationId && !view.removed) {
        next = {
          ...next,
          view: { ...view, name: update.name, members: view.members?.filter((member) => members.has(member.user.id)) ?? null },
        };
      }
      const typers = next.groupTyping[update.conversationId];
      if (typers?.some((id) => !members.has(id))) {
        next = { ...next, groupTyping: { ...next.groupTyping, [update.conversationId]: typers.filter((id) => members.has(id)) } };
      }
      return next;
    }
    case "conversation/left":
      return leave(state, action.conversationId);

    case "read/updated": {
      const read = action.state;
      const existing = state.conversations.find((c) => c.id === read.conversationId);
      // A conversation we do not list yet: the list fetched again will carry the position.
      if (!existing) return { ...state, conversationsStale: true };
      let updated = existing;
      if (read.userId === state.me) {
        if (read.lastReadSeq <= existing.lastReadSeq) return state;
        updated = { ...existing, lastReadSeq: read.lastReadSeq };
        if (read.lastReadSeq >= existing.lastMessage.seq) updated.unreadCount = 0;
        // Read part of the way (rare: another tab read up to an older message): the server knows how many remain.
        else if (existing.unreadCount > 0) return replaceConversation({ ...state, conversationsStale: true }, updated);
      } else {
        const entry = existing.readStates.find((held) => held.userId === read.userId);
        const direct = existing.kind !== "group";
        const held = Math.max(entry?.lastReadSeq ?? 0, direct ? existing.peerLastReadSeq : 0);
        if ((entry || direct) && held >= read.lastReadSeq) return state;
        const readStates = entry
          ? existing.readStates.map((held) => (held.userId === read.userId ? { ...held, lastReadSeq: read.lastReadSeq } : held))
          : [...existing.readStates, { userId: read.userId, lastReadSeq: read.lastReadSeq }];
        updated = { ...existing, readStates };
        if (direct) updated.peerLastReadSeq = read.lastReadSeq;
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
      const { from, typing, conversationId } = action;
      if (conversationId !== undefined) {
        const current = state.groupTyping[conversationId] ?? [];
        if (current.includes(from) === typing) return state;
        const next = typing ? [...current, from] : current.filter((id) => id !== from);
        if (next.length > 0) return { ...state, groupTyping: { ...state.groupTyping, [conversationId]: next } };
        const { [conversationId]: _dropped, ...rest } = state.groupTyping;
        return { ...state, groupTyping: rest };
      }
      const has = state.typing.includes(from);
      if (has === typing) return state;
      return { ...state, typing: typing ? [...state.typing, from] : state.typing.filter((id) => id !== from) };
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
      return withPeople({ ...state, profile: action.profile }, [action.profile]);
    case "notifications/changed":
      return { ...state, notifications: { support: action.support, enabled: action.enabled } };
    case "route/changed":
      return { ...state, route: action.route, view: action.route ? null : state.view };
  }
}

function replaceConversation(state: ChatState, updated: ConversationSummary): ChatState {
  return { ...state, conversations: state.conversations.map((c) => (c.id === updated.id ? updated : c)) };
}

/** The list entry for the direct conversation with `peerId`, if it has one yet. */
export function conversationWith(state: Pick<ChatState, "conversations">, peerId: string): ConversationSummary | undefined {
  return state.conversations.find((conversation) => conversation.kind !== "group" && conversation.peer?.id === peerId);
}

/** The list entry with this id. */
export function conversationById(state: Pick<ChatState, "conversations">, conversationId: string): ConversationSummary | undefined {
  return state.conversations.find((conversation) => conversation.id === conversationId);
}

/** The list entry of the open conversation, if it is listed. */
export function conversationOf(state: Pick<ChatState, "conversations">, view: ConversationView): ConversationSummary | undefined {
  if (view.conversationId !== null) return conversationById(state, view.conversationId);
  return view.peer ? conversationWith(state, view.peer.id) : undefined;
}

/** What the URL shows: the open conversation, else the link still being resolved, else the list (null). */
export function shownTarget(state: Pick<ChatState, "view" | "route">): ConversationTarget | null {
  if (state.view) return targetOf(state.view);
  return state.route?.target ?? null;
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
 * screen and holds a message from someone else past our read position (or the list says unread).
 */
export function readTarget(state: ChatState): { target: ConversationTarget; seq: number } | null {
  const view = state.view;
  if (!view || view.removed || !state.visible || view.loading === "initial") return null;
  const newest = view.messages.at(-1);
  if (!newest) return null;
  const conversation = conversationOf(state, view);
  const lastReadSeq = conversation?.lastReadSeq ?? 0;
  if (newest.seq <= lastReadSeq) return null;
  const unseen = (conversation?.unreadCount ?? 0) > 0 || view.messages.some((m) => m.senderId !== state.me && m.seq > lastReadSeq);
  return unseen ? { target: targetOf(view), seq: newest.seq } : null;
}

/**
 * The message that carries "Seen" in a direct conversation: my newest message the peer has
 * read, unless the peer wrote after it (their reply says as much).
 */
export function seenMessageId(messages: ChatMessage[], me: string, peerLastReadSeq: number): string | null {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index]!;
    if (message.senderId !== me) return null;
    if (message.seq <= peerLastReadSeq) return message.id;
  }
  return null;
}

/**
 * "Seen by N" in a group: my newest message and the members who have read it (from the
 * conversation's `readStates`); null while nobody has, or before I wrote anything.
 */
export function seenBy(
  messages: ChatMessage[],
  me: string,
  readStates: ConversationSummary["readStates"],
): { messageId: string; userIds: string[] } | null {
  const mine = messages.findLast((message) => message.senderId === me && message.kind === "text");
  if (!mine) return null;
  const userIds = readStates.filter((entry) => entry.userId !== me && entry.lastReadSeq >= mine.seq).map((entry) => entry.userId);
  return userIds.length > 0 ? { messageId: mine.id, userIds } : null;
}

/** Who is typing in the open conversation right now (user ids). */
export function typingIn(state: Pick<ChatState, "typing" | "groupTyping">, view: ConversationView): string[] {
  if (view.removed) return [];
  if (view.kind === "group") return view.conversationId ? (state.groupTyping[view.conversationId] ?? []) : [];
  return view.peer && state.typing.includes(view.peer.id) ? [view.peer.id] : [];
}

/** The open conversation's unsent messages (pending and failed), in queue order. */
export function pendingIn(state: Pick<ChatState, "outbox">, view: ConversationView): OutboxItem[] {
  if (view.kind === "group")
    return state.outbox.filter((item) => item.conversationId !== null && item.conversationId === view.conversationId);
  return state.outbox.filter((item) => item.recipientId !== null && item.recipientId === view.peer?.id);
}

/** The files waiting in the open conversation's composer (not sent yet), in the order they were added. */
export function stagedUploads(state: Pick<ChatState, "uploads">, view: ConversationView): UploadItem[] {
  const key = targetKey(targetOf(view));
  return state.uploads.filter((upload) => upload.key === key && upload.clientId === null);
}

/** An unsent message's files, in its order (those of another tab, or lost, are missing). */
export function uploadsOfItem(state: Pick<ChatState, "uploads">, item: Pick<OutboxItem, "uploads">): UploadItem[] {
  const byId = new Map(state.uploads.map((upload) => [upload.id, upload]));
  return (item.uploads ?? []).flatMap((id) => byId.get(id) ?? []);
}
