import type { AuthUser, SessionInfo, UserProfile } from "../../lib/types";
import type { ChatMessage, ConversationDetail, HistoryPage } from "../../lib/types";
import { ApiError, createChatApi, normalizeMessage, parseRetryAfter, type ApiCallOptions } from "../../lib/client/api";
import {
  classifySendError,
  createMemoryStorage,
  createOutbox,
  sendInputOf,
  type BackoffOptions,
  type OutboxStorage,
} from "../../lib/client/outbox";
import { createTokenSource, SessionEndedError } from "../../lib/client/session";
import { connectChatSocket, type SessionEndReason } from "../../lib/client/socket";
import { belongsToView, conversationById } from "../../lib/chat/chat-state";
import { createChatClient, type ChatClient } from "../../lib/chat/client";
import { realClock } from "../../lib/chat/clock";
import type { ChatApi, ChatPage, KeyValueStorage } from "../../lib/chat/ports";
import { fetchMagicLink } from "./browser";

/**
 * The chat client core (`lib/chat`) in Node: the page's own state, catch-up, outbox and socket
 * code, with Node adapters instead of the browser's (fetch with the session cookie, memory
 * storage, an always-visible page). Chaos and offline tests drive it like a user would.
 */

const HISTORY_MAX_LIMIT = 100;

export interface NodeHttp {
  /** The web app itself. */
  baseUrl: string;
  /** Where API calls go (the web app, or a fault-injecting proxy in front of it). */
  apiUrl: string;
  cookie: string;
}

interface CallOptions extends ApiCallOptions {
  /** Straight to the web app, past any proxy (the final comparison). */
  direct?: boolean;
}

/** apiFetch for Node: same errors (ApiError, status 0 for the network), cookie and Origin by hand. */
export async function callApi<T>(http: NodeHttp, path: string, options: CallOptions = {}): Promise<T> {
  const { method = "GET", json, query, timeoutMs = 10_000, direct = false } = options;
  const url = new URL(path, direct ? http.baseUrl : http.apiUrl);
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  let body: { data?: T; error?: { code: string; message: string; details?: unknown } } | null;
  try {
    response = await fetch(url, {
      method,
      redirect: "manual",
      signal: timeout,
      headers: {
        accept: "application/json",
        cookie: http.cookie,
        // Cookie-authenticated writes must name our origin (the CSRF check), as a browser does.
        ...(method === "GET" ? {} : { origin: http.baseUrl }),
        ...(json === undefined ? {} : { "content-type": "application/json" }),
      },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    body = (await response.json().catch((error: unknown) => {
      // A cut connection mid-body is a network failure, not an empty answer.
      if (response.ok) throw error;
      return null;
    })) as typeof body;
  } catch (error) {
    const timedOut = timeout.aborted;
    throw new ApiError(0, timedOut ? "timeout" : "network_error", timedOut ? "timed out" : `network: ${(error as Error).message}`);
  }
  if (response.ok && !body?.error) return body?.data as T;
  throw new ApiError(
    response.status,
    body?.error?.code ?? "http_error",
    body?.error?.message ?? `HTTP ${response.status}`,
    body?.error?.details,
    parseRetryAfter(response.headers.get("retry-after")),
  );
}

/** Signs in through the dev mailbox like a person would, and returns the session cookie. */
export async function signInViaMailbox(baseUrl: string, email: string): Promise<{ cookie: string; user: AuthUser }> {
  const since = Date.now();
  const login = await fetch(`${baseUrl}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: baseUrl },
    body: JSON.stringify({ email, next: "/chat" }),
  });
  if (!login.ok) throw new Error(`login for ${email}: HTTP ${login.status} ${await login.text()}`);
  const link = new URL(await fetchMagicLink(baseUrl, email, since));
  const form = new URLSearchParams();
  for (const name of ["token_hash", "type", "next"]) form.set(name, link.searchParams.get(name) ?? "");
  const confirm = await fetch(`${baseUrl}/auth/confirm`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: baseUrl },
    body: form,
  });
  const session = confirm.headers.getSetCookie().find((cookie) => cookie.startsWith("chat_session="));
  if (confirm.status !== 303 || !session) throw new Error(`confirm for ${email}: HTTP ${confirm.status}, no session cookie`);
  const cookie = session.split(";")[0]!;
  const info = await callApi<SessionInfo>({ baseUrl, apiUrl: baseUrl, cookie }, "/api/auth/session");
  return { cookie, user: info.user };
}

/** A conversation to write in: the direct one with a person, or a group by its id. */
export type ChatTo = UserProfile | { conversationId: string };

const isGroup = (to: ChatTo): to is { conversationId: string } => "conversationId" in to;

/**
 * Everything the database holds for a conversation of `http`'s user, oldest first: the direct one
 * with `peerId`, or a group (`{ conversationId }`).
 */
export async function readConversation(http: NodeHttp, to: string | { conversationId: string }): Promise<ChatMessage[]> {
  const pages: ChatMessage[][] = [];
  let before: string | undefined;
  const which = typeof to === "string" ? { with: to } : { conversation: to.conversationId };
  for (let guard = 0; guard < 1_000; guard += 1) {
    const page = await callApi<HistoryPage>(http, "/api/chat/history", {
      query: { ...which, limit: HISTORY_MAX_LIMIT, before },
      direct: true,
    });
    pages.unshift(page.messages.map(normalizeMessage));
    if (!page.nextBefore) break;
    before = page.nextBefore;
  }
  return pages.flat();
}

export interface NodeChatStats {
  connects: number;
  /** server:shutdown notices (graceful restarts). */
  shutdownNotices: number;
  /** message:new events received. */
  liveDeliveries: number;
  /** Live deliveries of a message the open conversation already held: dropped by id. */
  repeatsDropped: number;
  /** Live messages that arrived after a later one of the open conversation: placed by seq. */
  lateArrivals: number;
  /** History pages asked for after a held message (catch-up), and how many failed. */
  catchUpPages: number;
  catchUpFailures: number;
  sendAttempts: number;
  sendFailures: Record<string, number>;
  sessionEnded: SessionEndReason | null;
}

export interface QueuedMessage {
  clientId: string;
  /** Direct: the peer; null in a group. */
  recipientId: string | null;
  /** Group: its id; null for direct. */
  conversationId: string | null;
  content: string;
}

/** A message as it reached the client: a live push, or a history page (first, older or catch-up). */
export interface Arrival {
  message: ChatMessage;
  via: "live" | "history";
}

export interface NodeChatUser {
  user: AuthUser;
  profile: UserProfile;
  http: NodeHttp;
  client: ChatClient;
  stats: NodeChatStats;
  /** Every message this user wrote, in order. */
  queued: QueuedMessage[];
  /** Every message that reached this client, by any path, in order of arrival (proof of what a former member never got). */
  arrivals: Arrival[];
  /** Opens the conversation (direct with a person, or a group) if not open and writes `content` in it, as the page does. */
  write(to: ChatTo, content: string): Promise<void>;
  /** Opens the conversation and scrolls back to its start; returns what the view then holds. */
  readAll(to: ChatTo): Promise<ChatMessage[]>;
  /** Creates a group with these people (I am its owner) and opens it. */
  createGroup(name: string, members: UserProfile[]): Promise<ConversationDetail>;
  /** As the group's owner: adds people, or removes one (removing myself is leaving). */
  addMembers(conversationId: string, members: UserProfile[]): Promise<ConversationDetail>;
  removeMember(conversationId: string, member: UserProfile): Promise<ConversationDetail | null>;
  leaveGroup(conversationId: string): Promise<void>;
  stop(): void;
}

export interface NodeChatOptions {
  http: NodeHttp;
  user: AuthUser;
  socketUrl: string;
  /** The outbox's retry schedule (the page's default starts at 1 s; a load test may go faster). */
  backoff?: BackoffOptions;
  /** Outbox storage: pass the same one to a second client to simulate a reload. */
  outboxStorage?: OutboxStorage;
}

function memoryKeyValue(): KeyValueStorage {
  const entries = new Map<string, string>();
  return {
    getItem: (key) => entries.get(key) ?? null,
    setItem: (key, value) => void entries.set(key, value),
    removeItem: (key) => void entries.delete(key),
  };
}

/** Always visible, never asked anything, nowhere to go. */
const nodePage: ChatPage = {
  isVisible: () => true,
  onVisibilityChange: () => () => {},
  onResume: () => () => {},
  confirm: () => true,
  leave: () => {},
  notifications: { support: () => "unsupported", request: async () => "unsupported", show: () => false },
};

/** Starts the client core for one user in this process (connected, list loading). */
export function startNodeChat({ http, user, socketUrl, backoff, outboxStorage = createMemoryStorage() }: NodeChatOptions): NodeChatUser {
  const stats: NodeChatStats = {
    connects: 0,
    shutdownNotices: 0,
    liveDeliveries: 0,
    repeatsDropped: 0,
    lateArrivals: 0,
    catchUpPages: 0,
    catchUpFailures: 0,
    sendAttempts: 0,
    sendFailures: {},
    sessionEnded: null,
  };
  const queued: QueuedMessage[] = [];
  const arrivals: Arrival[] = [];
  const profile: UserProfile = { id: user.id, email: user.email, displayName: null };
  // The page's own endpoint list, over Node's fetch with the cookie.
  const endpoints = createChatApi((path, options) => callApi(http, path, options));
  const api: ChatApi = {
    ...endpoints,
    fetchHistory: async (query) => {
      if (query.after) stats.catchUpPages += 1;
      try {
        const page = await endpoints.fetchHistory(query);
        for (const message of page.messages) arrivals.push({ message, via: "history" });
        return page;
      } catch (error) {
        if (query.after) stats.catchUpFailures += 1;
        throw error;
      }
    },
  };

  const tokens = createTokenSource(async () => {
    try {
      return await callApi<SessionInfo>(http, "/api/auth/session");
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw new SessionEndedError();
      throw error;
    }
  });

  let client: ChatClient | null = null;
  client = createChatClient({
    user,
    api,
    clock: realClock,
    page: nodePage,
    storage: { session: memoryKeyValue(), local: memoryKeyValue() },
    socket(handlers) {
      const connection = connectChatSocket(socketUrl, tokens, {
        ...handlers,
        onConnect: () => {
          stats.connects += 1;
          handlers.onConnect();
        },
        onMessage: (message) => {
          stats.liveDeliveries += 1;
          arrivals.push({ message, via: "live" });
          const view = client?.getState().view;
          if (view && belongsToView(view, message, user.id)) {
            if (view.messages.some((held) => held.id === message.id)) stats.repeatsDropped += 1;
            else if ((view.messages.at(-1)?.seq ?? 0) > message.seq) stats.lateArrivals += 1;
          }
          handlers.onMessage(message);
        },
        onSessionEnded: (reason) => {
          stats.sessionEnded = reason;
          handlers.onSessionEnded(reason);
        },
      });
      connection.socket.on("server:shutdown", () => {
        stats.shutdownNotices += 1;
      });
      return connection;
    },
    outbox(events) {
      const outbox = createOutbox({
        userId: user.id,
        storage: outboxStorage,
        backoff,
        send: async (item) => {
          stats.sendAttempts += 1;
          try {
            return await endpoints.sendMessage(sendInputOf(item));
          } catch (error) {
            const kind = classifySendError(error).kind;
            stats.sendFailures[kind] = (stats.sendFailures[kind] ?? 0) + 1;
            throw error;
          }
        },
        ...events,
      });
      // Records what the user wrote (the clientId the outbox chose), in order.
      return {
        ...outbox,
        add(message) {
          const item = outbox.add(message);
          queued.push({
            clientId: item.clientId,
            recipientId: item.recipientId,
            conversationId: item.conversationId,
            content: item.content,
          });
          return item;
        },
      };
    },
  });
  const chat = client;
  const stopClient = chat.start();

  return {
    user,
    profile,
    http,
    client: chat,
    stats,
    queued,
    arrivals,
    async write(to, content) {
      await openTo(to);
      chat.changeDraft(content);
      chat.sendMessage(content);
    },
    async readAll(to) {
      await openTo(to);
      for (let guard = 0; guard < 1_000; guard += 1) {
        const view = chat.getState().view;
        if (!view) break;
        // A page that failed (faults were on): fetch again, as the page's retry button does.
        if (view.error) await chat.resync();
        else if (view.hasOlder) await chat.loadOlder();
        else break;
      }
      return chat.getState().view?.messages ?? [];
    },
    async createGroup(name, members) {
      return chat.createGroup({ name, memberIds: members.map((member) => member.id) });
    },
    addMembers: (conversationId, members) =>
      chat.addMembers(
        conversationId,
        members.map((member) => member.id),
      ),
    removeMember: (conversationId, member) => chat.removeMember(conversationId, member.id),
    leaveGroup: (conversationId) => chat.leaveGroup(conversationId),
    stop() {
      stopClient();
      tokens.dispose();
    },
  };

  /** Opens the conversation unless it is open; a group joins the list first (just added: the list is fetched again). */
  async function openTo(to: ChatTo) {
    const view = chat.getState().view;
    if (!isGroup(to)) {
      if (view?.kind !== "direct" || view.peer?.id !== to.id) await chat.openConversation(to);
      return;
    }
    if (view?.conversationId === to.conversationId && !view.removed) return;
    if (!conversationById(chat.getState(), to.conversationId)) await chat.resync();
    await chat.openConversationById(to.conversationId);
  }
}
