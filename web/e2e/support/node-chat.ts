import type { AuthUser, ChatMessage, ConversationSummary, HistoryPage, ReadState, SessionInfo, UserProfile } from "../../lib/types";
import { ApiError, parseRetryAfter } from "../../lib/client/api";
import { classifySendError, createMemoryStorage, createOutbox, type BackoffOptions, type OutboxStorage } from "../../lib/client/outbox";
import { createTokenSource, SessionEndedError } from "../../lib/client/session";
import { connectChatSocket, type SessionEndReason } from "../../lib/client/socket";
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

interface CallOptions {
  method?: "GET" | "POST" | "PATCH";
  json?: unknown;
  query?: Record<string, string | number | undefined>;
  timeoutMs?: number;
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

/** Everything the database holds for the conversation of `http`'s user with `peerId`, oldest first. */
export async function readConversation(http: NodeHttp, peerId: string): Promise<ChatMessage[]> {
  const pages: ChatMessage[][] = [];
  let before: string | undefined;
  for (let guard = 0; guard < 1_000; guard += 1) {
    const page = await callApi<HistoryPage>(http, "/api/chat/history", {
      query: { with: peerId, limit: HISTORY_MAX_LIMIT, before },
      direct: true,
    });
    pages.unshift(page.messages);
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
  recipientId: string;
  content: string;
}

export interface NodeChatUser {
  user: AuthUser;
  profile: UserProfile;
  http: NodeHttp;
  client: ChatClient;
  stats: NodeChatStats;
  /** Every message this user wrote, in order. */
  queued: QueuedMessage[];
  /** Opens the conversation with `peer` (if not open) and writes `content` in it, as the page does. */
  write(peer: UserProfile, content: string): Promise<void>;
  /** Opens the conversation and scrolls back to its start; returns what the view then holds. */
  readAll(peer: UserProfile): Promise<ChatMessage[]>;
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
  const profile: UserProfile = { id: user.id, email: user.email, displayName: null };
  const api: ChatApi = {
    listConversations: () => callApi<ConversationSummary[]>(http, "/api/chat/conversations"),
    fetchHistory: async (query) => {
      if (query.after) stats.catchUpPages += 1;
      try {
        return await callApi<HistoryPage>(http, "/api/chat/history", { query: { ...query } });
      } catch (error) {
        if (query.after) stats.catchUpFailures += 1;
        throw error;
      }
    },
    markRead: (input) => callApi<ReadState>(http, "/api/chat/read", { method: "POST", json: input }),
    getProfile: () => callApi<UserProfile>(http, "/api/profile"),
    updateProfile: (input) => callApi<UserProfile>(http, "/api/profile", { method: "PATCH", json: input }),
    signOut: () => callApi<void>(http, "/api/auth/logout", { method: "POST" }),
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
          const view = client?.getState().view;
          if (view && (view.peer.id === message.senderId || view.peer.id === message.recipientId)) {
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
            return await callApi<ChatMessage>(http, "/api/chat/send", {
              method: "POST",
              json: { recipientId: item.recipientId, content: item.content, clientId: item.clientId },
            });
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
          queued.push({ clientId: item.clientId, recipientId: item.recipientId, content: item.content });
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
    async write(peer, content) {
      if (chat.getState().view?.peer.id !== peer.id) await chat.openConversation(peer);
      chat.changeDraft(content);
      chat.sendMessage(content);
    },
    async readAll(peer) {
      if (chat.getState().view?.peer.id !== peer.id) await chat.openConversation(peer);
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
    stop() {
      stopClient();
      tokens.dispose();
    },
  };
}
