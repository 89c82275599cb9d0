/**
 * Fakes for the client core's unit tests: an in-memory chat backend behind the `ChatApi`, a
 * socket the test drives by hand, the real outbox on memory storage, a fake clock and page.
 */
import { randomUUID } from "node:crypto";
import { ApiError } from "@/lib/client/api";
import type { MessageNotification, NotificationSupport } from "@/lib/client/notifications";
import { createMemoryStorage, createOutbox, sendInputOf, type OutboxStorage } from "@/lib/client/outbox";
import type { ResumeReason } from "@/lib/client/resume";
import type { ChatConnection, ChatConnectionHandlers } from "@/lib/client/socket";
import type { UploadRequest, UploadTransport } from "@/lib/client/upload-transport";
import { createUploads } from "@/lib/client/uploads";
import type { PresenceState } from "socket-server/contract";
import { buildMessage } from "socket-server/contract/testing";
import { createChatClient, type ChatClient } from "./client";
import { createFakeClock } from "./clock";
import type {
  Change,
  Attachment,
  ChatMessage,
  ConversationDetail,
  ConversationSummary,
  ConversationUpdate,
  ReadState,
  SystemEvent,
  TypingTarget,
  UserProfile,
} from "@/lib/types";
import type { ChatApi, HistoryQuery, KeyValueStorage } from "./ports";

export const ME: UserProfile = { id: "00000000-0000-4000-8000-000000000001", email: "me@example.test", displayName: null };
export const PEER: UserProfile = { id: "00000000-0000-4000-8000-000000000002", email: "peer@example.test", displayName: "Pat Peer" };
export const OTHER: UserProfile = { id: "00000000-0000-4000-8000-000000000003", email: "other@example.test", displayName: null };
export const FOURTH: UserProfile = { id: "00000000-0000-4000-8000-000000000004", email: "fourth@example.test", displayName: "Flo" };

/** A stored message as the API carries it (a direct text message unless overridden). */
export function buildChatMessage(overrides: Partial<ChatMessage> = {}): ChatMessage {
  return { ...buildMessage(), kind: "text", system: null, ...overrides };
}

type Method = keyof ChatApi;

interface HeldConversation {
  id: string;
  kind: "direct" | "group";
  name: string | null;
  /** Member ids with role, in joining order. */
  members: { id: string; role: "owner" | "member"; joinedAt: string }[];
  messages: ChatMessage[];
  read: Map<string, number>;
  /** The change stream: each entry names its message, served as it is now. */
  changes: { pos: number; type: Change["type"]; messageId: string; actorId: string; emoji: string | null; at: string }[];
}

const notFound = () => new ApiError(404, "conversation_not_found", "Conversation not found.");

/** The server side: direct and group conversations with seq, members, read positions, and a log of the calls. */
export function createFakeBackend(people: UserProfile[] = [ME, PEER, OTHER, FOURTH]) {
  const conversations = new Map<string, HeldConversation>();
  const calls: { method: Method; args: unknown }[] = [];
  const failures: { method: Method; error: Error }[] = [];
  const key = (a: string, b: string) => [a, b].sort().join("|");
  const directs = new Map<string, string>();
  let profile = { ...ME };
  const person = (id: string) => people.find((candidate) => candidate.id === id)!;

  const direct = (a: string, b: string): HeldConversation => {
    let id = directs.get(key(a, b));
    if (!id) {
      id = randomUUID();
      directs.set(key(a, b), id);
      const joinedAt = new Date(0).toISOString();
      conversations.set(id, {
        id,
        kind: "direct",
        name: null,
        members: [a, b].map((member) => ({ id: member, role: "member" as const, joinedAt })),
        messages: [],
        read: new Map(),
        changes: [],
      });
    }
    return conversations.get(id)!;
  };

  const record = (held: HeldConversation, type: Change["type"], messageId: string, actorId: string, emoji: string | null = null) => {
    const entry = { pos: held.changes.length + 1, type, messageId, actorId, emoji, at: new Date().toISOString() };
    held.changes.push(entry);
    return entry;
  };
  const changeOf = (held: HeldConversation, entry: HeldConversation["changes"][number]): Change => ({
    conversationId: held.id,
    pos: entry.pos,
    type: entry.type,
    actorId: entry.actorId,
    emoji: entry.emoji,
    at: entry.at,
    message: held.messages.find((message) => message.id === entry.messageId)!,
  });

  const append = (held: HeldConversation, from: string, fields: Partial<ChatMessage>): ChatMessage => {
    const message = buildChatMessage({
      conversationId: held.id,
      seq: held.messages.length + 1,
      pos: held.changes.length + 1,
      senderId: from,
      recipientId: held.kind === "direct" ? held.members.find((member) => member.id !== from)!.id : null,
      createdAt: new Date(Date.UTC(2026, 0, 1, 12, 0, held.messages.length)).toISOString(),
      ...fields,
    });
    held.messages.push(message);
    record(held, "message.created", message.id, from);
    return message;
  };

  const locate = (messageId: string) => {
    for (const held of conversations.values()) {
      const index = held.messages.findIndex((message) => message.id === messageId);
      if (index >= 0) return { held, index };
    }
    throw new ApiError(404, "message_not_found", "Message not found.");
  };

  /**
   * An edit, deletion or reaction by `actorId` (as the endpoints make them): the message
   * replaced, the change recorded; answers the change as its push carries it.
   */
  const changeMessage = (
    messageId: string,
    actorId: string,
    type: Exclude<Change["type"], "message.created">,
    update: (message: ChatMessage) => ChatMessage,
    emoji: string | null = null,
  ): Change => {
    const { held, index } = locate(messageId);
    if (!held.members.some((member) => member.id === actorId)) throw new ApiError(404, "message_not_found", "Message not found.");
    if (held.messages[index]!.deletedAt) throw new ApiError(409, "message_deleted", "The message was deleted.");
    held.messages[index] = update(held.messages[index]!);
    return changeOf(held, record(held, type, messageId, actorId, emoji));
  };
  const at = () => new Date(Date.UTC(2026, 0, 1, 13)).toISOString();
  const edit = (messageId: string, actorId: string, content: string) =>
    changeMessage(messageId, actorId, "message.edited", (message) => ({ ...message, content, editedAt: at() }));
  const remove = (messageId: string, actorId: string) =>
    changeMessage(messageId, actorId, "message.deleted", (message) => ({
      ...message,
      content: "",
      attachments: [],
      reactions: [],
      deletedAt: at(),
    }));
  const react = (messageId: string, actorId: string, emoji: string, add = true) =>
    changeMessage(
      messageId,
      actorId,
      add ? "reaction.added" : "reaction.removed",
      (message) => {
        const reactions = message.reactions ?? [];
        const existing = reactions.find((reaction) => reaction.emoji === emoji);
        if (add === (existing?.userIds.includes(actorId) ?? false)) return message;
        if (!existing) return { ...message, reactions: [...reactions, { emoji, count: 1, userIds: [actorId] }] };
        const userIds = add ? [...existing.userIds, actorId] : existing.userIds.filter((id) => id !== actorId);
        const updated = reactions.map((reaction) => (reaction.emoji === emoji ? { emoji, count: userIds.length, userIds } : reaction));
        return { ...message, reactions: updated.filter((reaction) => reaction.count > 0) };
      },
      emoji,
    );

  /** Stores a direct message (as the send endpoint would) and returns it; delivering it is the test's choice. */
  const store = (from: string, to: string, content: string, clientId: string = randomUUID(), attachmentIds: string[] = []): ChatMessage => {
    const held = direct(from, to);
    const existing = held.messages.find((message) => message.senderId === from && message.clientId === clientId);
    return existing ?? append(held, from, { content, clientId, ...claimAttachments(attachmentIds) });
  };

  /** Stores a message in a group (members only). */
  const storeIn = (
    conversationId: string,
    from: string,
    content: string,
    clientId: string = randomUUID(),
    attachmentIds: string[] = [],
  ): ChatMessage => {
    const held = conversations.get(conversationId);
    if (!held?.members.some((member) => member.id === from)) throw notFound();
    const existing = held.messages.find((message) => message.senderId === from && message.clientId === clientId);
    return existing ?? append(held, from, { content, clientId, ...claimAttachments(attachmentIds) });
  };

  // Uploads as the attachment endpoints keep them: pending until completed, then ready (once the bytes arrived).
  const uploads = new Map<string, { attachment: Attachment; stored: boolean; ready: boolean; used: boolean }>();
  const claimAttachments = (ids: string[]): Partial<ChatMessage> => {
    if (ids.length === 0) return {};
    const attachments = ids.map((id) => {
      const held = uploads.get(id);
      if (!held?.ready || held.used) throw new ApiError(422, "invalid_attachments", "Attachments must be your own ready uploads.");
      held.used = true;
      return held.attachment;
    });
    return { attachments };
  };

  const system = (held: HeldConversation, actorId: string, info: Omit<SystemEvent, "actorId">) =>
    append(held, actorId, { kind: "system", content: "", system: { ...info, actorId } });

  /** Creates a group as `ownerId` (as the endpoint would): a `group_created` system message first. */
  const createGroup = (ownerId: string, name: string, memberIds: string[]): HeldConversation => {
    const id = randomUUID();
    const joinedAt = new Date(0).toISOString();
    const held: HeldConversation = {
      id,
      kind: "group",
      name,
      members: [
        { id: ownerId, role: "owner", joinedAt },
        ...memberIds.filter((member) => member !== ownerId).map((member) => ({ id: member, role: "member" as const, joinedAt })),
      ],
      messages: [],
      read: new Map(),
      changes: [],
    };
    conversations.set(id, held);
    system(held, ownerId, { event: "group_created", userIds: memberIds, name });
    return held;
  };

  /** Membership changes as the endpoints make them: the system message, and the `conversation:updated` payload. */
  const changeMembers = (
    conversationId: string,
    actorId: string,
    change: { add?: string[]; remove?: string[] },
  ): { message: ChatMessage; update: ConversationUpdate } => {
    const held = conversations.get(conversationId)!;
    const removed = change.remove ?? [];
    const added = (change.add ?? []).filter((id) => !held.members.some((member) => member.id === id));
    held.members = held.members.filter((member) => !removed.includes(member.id));
    for (const id of added) held.members.push({ id, role: "member", joinedAt: new Date().toISOString() });
    const event = removed.length > 0 ? (removed.includes(actorId) ? "member_left" : "member_removed") : "member_added";
    const message = system(held, actorId, { event, userIds: removed.length > 0 ? removed : added, name: null });
    return {
      message,
      update: { conversationId, name: held.name, memberIds: held.members.map((member) => member.id), removedIds: removed },
    };
  };

  const rename = (conversationId: string, actorId: string, name: string) => {
    const held = conversations.get(conversationId)!;
    held.name = name;
    const message = system(held, actorId, { event: "renamed", userIds: [], name });
    const update: ConversationUpdate = { conversationId, name, memberIds: held.members.map((member) => member.id), removedIds: [] };
    return { message, update };
  };

  const call = async <T>(method: Method, args: unknown, answer: () => T): Promise<T> => {
    calls.push({ method, args });
    await Promise.resolve();
    const index = failures.findIndex((failure) => failure.method === method);
    if (index >= 0) throw failures.splice(index, 1)[0]!.error;
    return answer();
  };

  const isMember = (held: HeldConversation | undefined, userId = ME.id): held is HeldConversation =>
    held?.members.some((member) => member.id === userId) ?? false;

  const summaryOf = (held: HeldConversation): ConversationSummary => {
    const last = held.messages.at(-1)!;
    const lastReadSeq = held.read.get(ME.id) ?? 0;
    const others = held.members.filter((member) => member.id !== ME.id);
    const peerId = held.kind === "direct" ? others[0]!.id : null;
    return {
      id: held.id,
      kind: held.kind,
      name: held.name,
      peer: peerId ? person(peerId) : null,
      members: { count: held.members.length, preview: held.members.slice(0, 5).map((member) => person(member.id)) },
      role: held.members.find((member) => member.id === ME.id)?.role ?? "member",
      lastMessage: last,
      lastMessageAt: last.createdAt,
      unreadCount: held.messages.filter((message) => message.senderId !== ME.id && message.seq > lastReadSeq).length,
      lastReadSeq,
      peerLastReadSeq: peerId ? (held.read.get(peerId) ?? 0) : 0,
      readStates: others.map((member) => ({ userId: member.id, lastReadSeq: held.read.get(member.id) ?? 0 })),
      lastPos: held.changes.length,
    };
  };

  const detailOf = (held: HeldConversation): ConversationDetail => ({
    ...summaryOf(held),
    memberList: held.members.map((member) => ({ user: person(member.id), role: member.role, joinedAt: member.joinedAt })),
  });

  const summaries = (): ConversationSummary[] =>
    [...conversations.values()]
      .filter((held) => isMember(held) && held.messages.length > 0)
      .map(summaryOf)
      .sort((a, b) => Date.parse(b.lastMessageAt) - Date.parse(a.lastMessageAt));

  const heldFor = (query: { with?: string; conversation?: string }) => {
    if (query.with !== undefined) return direct(ME.id, query.with);
    const held = conversations.get(query.conversation ?? "");
    if (!isMember(held)) throw notFound();
    return held;
  };

  const owned = (conversationId: string) => {
    const held = conversations.get(conversationId);
    if (!isMember(held)) throw notFound();
    if (held.members.find((member) => member.id === ME.id)?.role !== "owner") throw new ApiError(403, "not_owner", "Owners only.");
    return held;
  };

  const api: ChatApi = {
    listConversations: () => call("listConversations", null, summaries),
    fetchHistory: (query: HistoryQuery) =>
      call("fetchHistory", query, () => {
        const messages = heldFor(query).messages;
        if (query.after) {
          const index = messages.findIndex((message) => message.id === query.after);
          return { messages: messages.slice(index + 1, index + 1 + query.limit), nextBefore: null };
        }
        const end = query.before ? messages.findIndex((message) => message.id === query.before) : messages.length;
        const page = messages.slice(Math.max(0, end - query.limit), end);
        return { messages: page, nextBefore: end - query.limit > 0 ? page[0]!.id : null };
      }),
    markRead: (input) =>
      call("markRead", input, (): ReadState => {
        const held = input.peerId !== undefined ? direct(ME.id, input.peerId) : heldFor({ conversation: input.conversationId });
        held.read.set(ME.id, Math.max(held.read.get(ME.id) ?? 0, input.seq));
        return { conversationId: held.id, userId: ME.id, peerId: input.peerId ?? null, lastReadSeq: held.read.get(ME.id)! };
      }),
    sendMessage: (input) =>
      call("sendMessage", input, () => {
        const message =
          input.recipientId !== undefined
            ? store(ME.id, input.recipientId, input.content, input.clientId, input.attachmentIds)
            : storeIn(input.conversationId, ME.id, input.content, input.clientId, input.attachmentIds);
        if (!input.replyToId || message.replyTo) return message;
        const original = locate(input.replyToId);
        const quoted = original.held.messages[original.index]!;
        const replyTo = {
          id: quoted.id,
          senderId: quoted.senderId,
          excerpt: quoted.content.slice(0, 200),
          attachmentCount: 0,
          deleted: !!quoted.deletedAt,
        };
        const { held, index } = locate(message.id);
        return (held.messages[index] = { ...message, replyTo });
      }),
    fetchChanges: (query) =>
      call("fetchChanges", query, () => {
        const held = query.with !== undefined ? direct(ME.id, query.with) : heldFor({ conversation: query.conversationId });
        const limit = query.limit ?? 100;
        const page = held.changes.slice(query.after, query.after + limit);
        const end = query.after + page.length;
        return {
          changes: page.map((entry) => changeOf(held, entry)),
          nextAfter: end < held.changes.length ? end : null,
          lastPos: held.changes.length,
        };
      }),
    editMessage: (messageId, content) =>
      call("editMessage", { messageId, content }, () => {
        if (locate(messageId).held.messages[locate(messageId).index]!.senderId !== ME.id)
          throw new ApiError(403, "not_your_message", "Not yours.");
        return edit(messageId, ME.id, content).message;
      }),
    deleteMessage: (messageId) =>
      call("deleteMessage", messageId, () => {
        const { held, index } = locate(messageId);
        if (held.messages[index]!.deletedAt) return held.messages[index]!;
        return remove(messageId, ME.id).message;
      }),
    addReaction: (messageId, emoji) => call("addReaction", { messageId, emoji }, () => react(messageId, ME.id, emoji).message),
    removeReaction: (messageId, emoji) => call("removeReaction", { messageId, emoji }, () => react(messageId, ME.id, emoji, false).message),
    createAttachment: (input) =>
      call("createAttachment", input, () => {
        const image = input.contentType.startsWith("image/");
        const attachment: Attachment = {
          id: randomUUID(),
          name: input.name,
          contentType: input.contentType,
          size: input.size,
          kind: image ? "image" : "file",
          width: image ? 640 : null,
          height: image ? 480 : null,
        };
        uploads.set(attachment.id, { attachment, stored: false, ready: false, used: false });
        return {
          attachment: { ...attachment, status: "pending" as const },
          upload: {
            method: "PUT" as const,
            url: `/api/chat/attachments/${attachment.id}/content`,
            headers: { "Content-Type": input.contentType },
          },
          expiresAt: new Date(Date.UTC(2026, 0, 2)).toISOString(),
        };
      }),
    completeAttachment: (attachmentId) =>
      call("completeAttachment", attachmentId, () => {
        const held = uploads.get(attachmentId);
        if (!held?.stored) throw new ApiError(404, "attachment_not_found", "Attachment not found.");
        held.ready = true;
        return held.attachment;
      }),
    getConversation: (conversationId) => call("getConversation", conversationId, () => detailOf(heldFor({ conversation: conversationId }))),
    createGroup: (input) => call("createGroup", input, () => detailOf(createGroup(ME.id, input.name, [ME.id, ...input.memberIds]))),
    renameGroup: (conversationId, name) =>
      call("renameGroup", { conversationId, name }, () => {
        rename(owned(conversationId).id, ME.id, name);
        return detailOf(conversations.get(conversationId)!);
      }),
    addMembers: (conversationId, userIds) =>
      call("addMembers", { conversationId, userIds }, () => {
        changeMembers(owned(conversationId).id, ME.id, { add: userIds });
        return detailOf(conversations.get(conversationId)!);
      }),
    removeMember: (conversationId, userId) =>
      call("removeMember", { conversationId, userId }, (): ConversationDetail | { left: true } => {
        if (userId === ME.id) {
          if (!isMember(conversations.get(conversationId))) throw notFound();
          changeMembers(conversationId, ME.id, { remove: [ME.id] });
          return { left: true };
        }
        changeMembers(owned(conversationId).id, ME.id, { remove: [userId] });
        return detailOf(conversations.get(conversationId)!);
      }),
    getProfile: () => call("getProfile", null, () => profile),
    updateProfile: (input) => call("updateProfile", input, () => (profile = { ...profile, displayName: input.displayName })),
    signOut: () => call("signOut", null, () => undefined),
  };

  return {
    api,
    calls,
    /** The upload target's PUT arrived (as `PUT …/content` would store it). */
    receiveBytes(request: UploadRequest) {
      const id = /attachments\/([^/]+)\/content/.exec(request.upload.url)?.[1] ?? "";
      const held = uploads.get(id);
      if (!held) throw new ApiError(404, "attachment_not_found", "Attachment not found.");
      held.stored = true;
    },
    store,
    storeIn,
    createGroup,
    changeMembers,
    rename,
    edit,
    remove,
    react,
    /** The stream as the server would serve it now. */
    changesIn: (conversationId: string) => {
      const held = conversations.get(conversationId)!;
      return held.changes.map((entry) => changeOf(held, entry));
    },
    messages: (peerId: string) => direct(ME.id, peerId).messages,
    messagesIn: (conversationId: string) => conversations.get(conversationId)?.messages ?? [],
    /** Another member's read position moves (as their read endpoint would), answered as the push carries it. */
    readBy(conversationId: string, userId: string, seq: number): ReadState {
      const held = conversations.get(conversationId)!;
      held.read.set(userId, seq);
      return { conversationId, userId, peerId: held.kind === "direct" ? ME.id : null, lastReadSeq: seq };
    },
    /** The next call of `method` fails with `error`. */
    failNext(method: Method, error: Error = new ApiError(0, "network_error", "Could not reach the server.")) {
      failures.push({ method, error });
    },
    callsOf: (method: Method) => calls.filter((entry) => entry.method === method).map((entry) => entry.args),
  };
}

/** A socket the test drives: connect, drop, deliver events; records what the client sent. */
export function createFakeSocket() {
  let handlers: ChatConnectionHandlers | null = null;
  let connected = false;
  const presence = new Map<string, PresenceState>();
  const log = {
    subscriptions: [] as string[][],
    typing: [] as (TypingTarget & { typing: boolean })[],
    reconnects: 0,
    closed: 0,
    opened: 0,
  };

  const connection: ChatConnection = {
    socket: null as unknown as ChatConnection["socket"],
    reconnectNow: () => void (log.reconnects += 1),
    subscribePresence: async (ids) => {
      if (!connected) return null;
      log.subscriptions.push(ids);
      return ids.map((userId) => presence.get(userId) ?? { userId, online: false, lastSeenAt: null });
    },
    sendTyping: (target, typing) => {
      if (connected) log.typing.push({ ...target, typing });
    },
    close: () => {
      log.closed += 1;
      connected = false;
      handlers = null;
    },
  };

  const live = () => {
    if (!handlers) throw new Error("the client has not opened the socket");
    return handlers;
  };

  return {
    log,
    presence,
    connect: (next: ChatConnectionHandlers) => {
      handlers = next;
      log.opened += 1;
      next.onState("connecting");
      return connection;
    },
    /** The socket (re)connects. */
    up() {
      connected = true;
      live().onState("connected");
      live().onConnect();
    },
    down() {
      connected = false;
      live().onState("reconnecting");
    },
    deliver: (message: ChatMessage) => live().onMessage(message),
    changed: (change: Change) => live().onMessageChanged?.(change),
    read: (state: ReadState) => live().onReadUpdated?.(state),
    typing: (from: string, typing: boolean, conversationId?: string) =>
      live().onTyping?.(conversationId === undefined ? { from, typing } : { from, typing, conversationId }),
    conversationUpdated: (update: ConversationUpdate) => live().onConversationUpdated?.(update),
    presenceUpdate: (state: PresenceState) => live().onPresence?.(state),
    endSession: (reason: "signed_out" | "expired") => {
      connected = false;
      live().onState("signed-out");
      live().onSessionEnded(reason);
    },
  };
}

export function createMemoryKeyValue(): KeyValueStorage & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    getItem: (key) => entries.get(key) ?? null,
    setItem: (key, value) => void entries.set(key, value),
    removeItem: (key) => void entries.delete(key),
  };
}

export function createFakePage() {
  let visible = true;
  const visibility = new Set<() => void>();
  const resume = new Set<(reason: ResumeReason) => void>();
  const shown: MessageNotification[] = [];
  const left: string[] = [];
  const questions: string[] = [];
  const page = {
    confirmAnswer: true,
    support: "granted" as NotificationSupport,
    shown,
    left,
    questions,
    setVisible(next: boolean) {
      visible = next;
      for (const listener of [...visibility]) listener();
    },
    resume(reason: ResumeReason = "online") {
      for (const listener of [...resume]) listener(reason);
    },
    port: {
      isVisible: () => visible,
      onVisibilityChange(listener: () => void) {
        visibility.add(listener);
        return () => void visibility.delete(listener);
      },
      onResume(listener: (reason: ResumeReason) => void) {
        resume.add(listener);
        return () => void resume.delete(listener);
      },
      confirm: (question: string) => {
        questions.push(question);
        return page.confirmAnswer;
      },
      leave: (path: string) => void left.push(path),
      notifications: {
        support: () => page.support,
        request: async () => page.support,
        show: (notification: MessageNotification) => {
          shown.push(notification);
          return true;
        },
      },
    },
  };
  return page;
}

/** Lets pending promises (fake API calls, outbox sends) settle. */
export async function settle(rounds = 20): Promise<void> {
  for (let round = 0; round < rounds; round += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** A started client over fakes; `socket.up()` connects it. */
export function buildClient(
  options: {
    visible?: boolean;
    session?: KeyValueStorage;
    outboxStorage?: OutboxStorage;
    autoFinishUploads?: boolean;
    backend?: ReturnType<typeof createFakeBackend>;
    attachmentMaxBytes?: number;
  } = {},
) {
  const backend = options.backend ?? createFakeBackend();
  const uploads = createFakeUploadTransport(backend, { autoFinish: options.autoFinishUploads });
  const socket = createFakeSocket();
  const clock = createFakeClock(Date.UTC(2026, 0, 1, 12));
  const page = createFakePage();
  if (options.visible === false) page.setVisible(false);
  const session = options.session ?? createMemoryKeyValue();
  const local = createMemoryKeyValue();
  const outboxStorage = options.outboxStorage ?? createMemoryStorage();
  const client: ChatClient = createChatClient({
    user: { id: ME.id, email: ME.email },
    api: backend.api,
    socket: socket.connect,
    outbox: (events) =>
      createOutbox({
        userId: ME.id,
        storage: outboxStorage,
        send: (item, attachmentIds) => backend.api.sendMessage(sendInputOf(item, attachmentIds)),
        ...events,
      }),
    uploads: (events) => createUploads({ userId: ME.id, storage: session, api: backend.api, transport: uploads.transport, ...events }),
    attachmentMaxBytes: options.attachmentMaxBytes,
    storage: { session, local },
    clock,
    page: page.port,
  });
  const stop = client.start();
  return { client, backend, socket, clock, page, session, local, outboxStorage, uploads, stop };
}

/**
 * An upload transport the test drives: each PUT waits until the test calls `progress`, `finish`
 * or `fail` on it (`autoFinish`: every PUT lands at once). Finishing stores the bytes in `backend`.
 */
export function createFakeUploadTransport(backend: ReturnType<typeof createFakeBackend>, options: { autoFinish?: boolean } = {}) {
  interface HeldPut {
    request: UploadRequest;
    aborted: boolean;
    progress(loaded: number): void;
    finish(): void;
    fail(error: Error): void;
  }
  const puts: HeldPut[] = [];
  const transport: UploadTransport = (request) =>
    new Promise<void>((resolve, reject) => {
      const put: HeldPut = {
        request,
        aborted: false,
        progress: (loaded) => request.onProgress(loaded, request.body.size),
        finish: () => {
          backend.receiveBytes(request);
          request.onProgress(request.body.size, request.body.size);
          resolve();
        },
        fail: reject,
      };
      request.signal.addEventListener("abort", () => {
        put.aborted = true;
        reject(new DOMException("The upload was cancelled.", "AbortError"));
      });
      puts.push(put);
      if (options.autoFinish) queueMicrotask(put.finish);
    });
  return { transport, puts, last: () => puts.at(-1)! };
}

/** A file as an `<input type=file>` or a paste gives it. */
export function buildFile(name = "photo.png", size = 1000, type = "image/png"): File {
  return new File([new Uint8Array(size)], name, { type });
}
