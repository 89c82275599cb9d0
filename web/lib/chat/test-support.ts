/**
 * Fakes for the client core's unit tests: an in-memory chat backend behind the `ChatApi`, a
 * socket the test drives by hand, the real outbox on memory storage, a fake clock and page.
 */
import { randomUUID } from "node:crypto";
import { ApiError } from "@/lib/client/api";
import type { MessageNotification, NotificationSupport } from "@/lib/client/notifications";
import { createMemoryStorage, createOutbox } from "@/lib/client/outbox";
import type { ResumeReason } from "@/lib/client/resume";
import type { ChatConnection, ChatConnectionHandlers } from "@/lib/client/socket";
import type { PresenceState } from "socket-server/contract";
import { buildMessage } from "socket-server/contract/testing";
import type { ChatMessage, ConversationSummary, ReadState, UserProfile } from "@/lib/types";
import { createChatClient, type ChatClient } from "./client";
import { createFakeClock } from "./clock";
import type { ChatApi, HistoryQuery, KeyValueStorage } from "./ports";

export const ME: UserProfile = { id: "00000000-0000-4000-8000-000000000001", email: "me@example.test", displayName: null };
export const PEER: UserProfile = { id: "00000000-0000-4000-8000-000000000002", email: "peer@example.test", displayName: "Pat Peer" };
export const OTHER: UserProfile = { id: "00000000-0000-4000-8000-000000000003", email: "other@example.test", displayName: null };

type Method = keyof ChatApi;

/** The server side: conversations with seq, read positions, and a log of the calls. */
export function createFakeBackend(people: UserProfile[] = [ME, PEER, OTHER]) {
  const conversations = new Map<string, { id: string; messages: ChatMessage[]; read: Map<string, number> }>();
  const calls: { method: Method; args: unknown }[] = [];
  const failures: { method: Method; error: Error }[] = [];
  const key = (a: string, b: string) => [a, b].sort().join("|");
  let profile = { ...ME };

  const conversation = (a: string, b: string) => {
    let found = conversations.get(key(a, b));
    if (!found) conversations.set(key(a, b), (found = { id: randomUUID(), messages: [], read: new Map() }));
    return found;
  };

  /** Stores a message (as the send endpoint would) and returns it; delivering it is the test's choice. */
  const store = (from: string, to: string, content: string, clientId: string = randomUUID()): ChatMessage => {
    const held = conversation(from, to);
    const existing = held.messages.find((message) => message.senderId === from && message.clientId === clientId);
    if (existing) return existing;
    const message = buildMessage({
      conversationId: held.id,
      seq: held.messages.length + 1,
      senderId: from,
      recipientId: to,
      content,
      clientId,
      createdAt: new Date(Date.UTC(2026, 0, 1, 12, 0, held.messages.length)).toISOString(),
    });
    held.messages.push(message);
    return message;
  };

  const call = async <T>(method: Method, args: unknown, answer: () => T): Promise<T> => {
    calls.push({ method, args });
    await Promise.resolve();
    const index = failures.findIndex((failure) => failure.method === method);
    if (index >= 0) throw failures.splice(index, 1)[0]!.error;
    return answer();
  };

  const summaries = (): ConversationSummary[] =>
    [...conversations.entries()]
      .filter(([pair, held]) => pair.split("|").includes(ME.id) && held.messages.length > 0)
      .map(([pair, held]) => {
        const peerId = pair.split("|").find((id) => id !== ME.id)!;
        const last = held.messages.at(-1)!;
        const lastReadSeq = held.read.get(ME.id) ?? 0;
        return {
          id: held.id,
          peer: people.find((person) => person.id === peerId)!,
          lastMessage: last,
          lastMessageAt: last.createdAt,
          unreadCount: held.messages.filter((message) => message.senderId === peerId && message.seq > lastReadSeq).length,
          lastReadSeq,
          peerLastReadSeq: held.read.get(peerId) ?? 0,
        };
      })
      .sort((a, b) => Date.parse(b.lastMessageAt) - Date.parse(a.lastMessageAt));

  const api: ChatApi = {
    listConversations: () => call("listConversations", null, summaries),
    fetchHistory: (query: HistoryQuery) =>
      call("fetchHistory", query, () => {
        const messages = conversation(ME.id, query.with).messages;
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
        const held = conversation(ME.id, input.peerId);
        held.read.set(ME.id, Math.max(held.read.get(ME.id) ?? 0, input.seq));
        return { conversationId: held.id, userId: ME.id, peerId: input.peerId, lastReadSeq: held.read.get(ME.id)! };
      }),
    getProfile: () => call("getProfile", null, () => profile),
    updateProfile: (input) => call("updateProfile", input, () => (profile = { ...profile, displayName: input.displayName })),
    signOut: () => call("signOut", null, () => undefined),
  };

  return {
    api,
    calls,
    store,
    messages: (peerId: string) => conversation(ME.id, peerId).messages,
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
  const log = { subscriptions: [] as string[][], typing: [] as { to: string; typing: boolean }[], reconnects: 0, closed: 0, opened: 0 };

  const connection: ChatConnection = {
    socket: null as unknown as ChatConnection["socket"],
    reconnectNow: () => void (log.reconnects += 1),
    subscribePresence: async (ids) => {
      if (!connected) return null;
      log.subscriptions.push(ids);
      return ids.map((userId) => presence.get(userId) ?? { userId, online: false, lastSeenAt: null });
    },
    sendTyping: (to, typing) => {
      if (connected) log.typing.push({ to, typing });
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
    read: (state: ReadState) => live().onReadUpdated?.(state),
    typing: (from: string, typing: boolean) => live().onTyping?.({ from, typing }),
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
export function buildClient(options: { visible?: boolean; session?: KeyValueStorage } = {}) {
  const backend = createFakeBackend();
  const socket = createFakeSocket();
  const clock = createFakeClock(Date.UTC(2026, 0, 1, 12));
  const page = createFakePage();
  if (options.visible === false) page.setVisible(false);
  const session = options.session ?? createMemoryKeyValue();
  const local = createMemoryKeyValue();
  const outboxStorage = createMemoryStorage();
  const client: ChatClient = createChatClient({
    user: { id: ME.id, email: ME.email },
    api: backend.api,
    socket: socket.connect,
    outbox: (events) =>
      createOutbox({
        userId: ME.id,
        storage: outboxStorage,
        send: async (item) => backend.store(ME.id, item.recipientId, item.content, item.clientId),
        ...events,
      }),
    storage: { session, local },
    clock,
    page: page.port,
  });
  const stop = client.start();
  return { client, backend, socket, clock, page, session, local, outboxStorage, stop };
}
