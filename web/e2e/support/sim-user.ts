import type { AuthUser, ChatMessage, ConversationSummary, HistoryPage, SessionInfo } from "../../lib/types";
import { ApiError, parseRetryAfter } from "../../lib/client/api";
import { classifySendError, createMemoryStorage, createOutbox, type BackoffOptions, type Outbox } from "../../lib/client/outbox";
import { createTokenSource, SessionEndedError, type TokenSource } from "../../lib/client/session";
import { connectChatSocket, type ChatConnection, type SessionEndReason } from "../../lib/client/socket";
import { catchUpView, type HistoryQuery } from "../../components/chat/catch-up";
import { chatReducer, createChatState, needsCatchUp, peerOf, type ChatAction, type ChatState } from "../../components/chat/chat-state";
import { fetchMagicLink } from "./browser";

/**
 * A simulated user without a browser: the same outbox, socket client, reducer and catch-up
 * code as the chat page, driven over HTTP with the session cookie and a Socket.IO client.
 * It keeps every conversation "open" (one reducer state per peer) and scrolls each one back
 * to its start, so its view can be compared with the database.
 */

const HISTORY_MAX_LIMIT = 100;
const HISTORY_DEFAULT_LIMIT = 50;
const MAX_CATCH_UP_PAGES = 20;
const GAP_WAIT_MS = 1_500;

export interface SimHttp {
  /** The web app itself. */
  baseUrl: string;
  /** Where API calls go (the web app, or a fault-injecting proxy in front of it). */
  apiUrl: string;
  cookie: string;
}

interface CallOptions {
  method?: "GET" | "POST";
  json?: unknown;
  query?: Record<string, string | number | undefined>;
  timeoutMs?: number;
  /** Straight to the web app, past any proxy (the final comparison). */
  direct?: boolean;
}

/** apiFetch for Node: same errors (ApiError, status 0 for the network), cookie and Origin by hand. */
export async function callApi<T>(http: SimHttp, path: string, options: CallOptions = {}): Promise<T> {
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
        // Cookie-authenticated POSTs must name our origin (the CSRF check), as a browser does.
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
export async function readConversation(http: SimHttp, peerId: string): Promise<ChatMessage[]> {
  const pages: ChatMessage[][] = [];
  let before: string | undefined;
  for (let guard = 0; guard < 1_000; guard += 1) {
    const page = await callApi<HistoryPage>(http, "/api/chat/history", { query: { with: peerId, limit: HISTORY_MAX_LIMIT, before }, direct: true });
    pages.unshift(page.messages);
    if (!page.nextBefore) break;
    before = page.nextBefore;
  }
  return pages.flat();
}

export interface SimStats {
  connects: number;
  /** server:shutdown notices (graceful restarts). */
  shutdownNotices: number;
  /** message:new events received. */
  liveDeliveries: number;
  /** Deliveries (live or in a page) of a message already held: dropped by id. */
  repeatsDropped: number;
  /** Live messages that arrived after a later one of their conversation: placed by seq. */
  lateArrivals: number;
  catchUps: number;
  catchUpFailures: number;
  sendAttempts: number;
  sendFailures: Record<string, number>;
  sessionEnded: SessionEndReason | null;
}

export interface QueuedMessage {
  clientId: string;
  recipientId: string;
  content: string;
  /** Position in this user's queue. */
  index: number;
}

export interface SimUser {
  user: AuthUser;
  http: SimHttp;
  outbox: Outbox;
  connection: ChatConnection;
  stats: SimStats;
  /** Every message this user wrote, in order. */
  queued: QueuedMessage[];
  /** One reducer state per peer, each with that conversation open. */
  conversations: Map<string, ChatState>;
  send(recipientId: string, content: string): void;
  /** What the page does on every (re)connect: the conversation list, then catch-up everywhere. */
  resync(): Promise<boolean>;
  stop(): void;
}

export interface SimUserOptions {
  http: SimHttp;
  user: AuthUser;
  socketUrl: string;
  /** The outbox's retry schedule (the page's default starts at 1 s; a load test may go faster). */
  backoff?: BackoffOptions;
}

export function startSimUser({ http, user, socketUrl, backoff }: SimUserOptions): SimUser {
  const stats: SimStats = {
    connects: 0,
    shutdownNotices: 0,
    liveDeliveries: 0,
    repeatsDropped: 0,
    lateArrivals: 0,
    catchUps: 0,
    catchUpFailures: 0,
    sendAttempts: 0,
    sendFailures: {},
    sessionEnded: null,
  };
  const conversations = new Map<string, ChatState>();
  const flights = new Map<string, { running: Promise<boolean> | null; again: boolean }>();
  const gapTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const queued: QueuedMessage[] = [];
  let stopped = false;

  const fetchHistory = (query: HistoryQuery) => callApi<HistoryPage>(http, "/api/chat/history", { query: { ...query } });

  const dispatch = (peerId: string, action: ChatAction) => {
    const current = conversations.get(peerId);
    if (current) conversations.set(peerId, chatReducer(current, action));
  };

  const outbox = createOutbox({
    userId: user.id,
    storage: createMemoryStorage(),
    backoff,
    send: async (item) => {
      stats.sendAttempts += 1;
      try {
        return await callApi<ChatMessage>(http, "/api/chat/send", {
          method: "POST",
          json: { recipientId: item.recipientId, content: item.content, clientId: item.clientId },
        });
      } catch (error) {
        const kind = error instanceof ApiError && error.status === 429 ? "rate_limited" : classifySendError(error).kind;
        stats.sendFailures[kind] = (stats.sendFailures[kind] ?? 0) + 1;
        throw error;
      }
    },
    onSent: (message) => receive(message, "answer"),
    onUnauthorized: () => {
      stats.sessionEnded = "expired";
    },
  });

  function conversation(peerId: string): ChatState {
    let state = conversations.get(peerId);
    if (!state) {
      state = chatReducer(createChatState(user.id), { type: "open", peer: { id: peerId, email: "", displayName: null } });
      conversations.set(peerId, state);
      void sync(peerId);
    }
    return state;
  }

  function receive(message: ChatMessage, via: "live" | "answer") {
    const peerId = peerOf(message, user.id);
    const view = conversation(peerId).view!;
    if (via === "live") stats.liveDeliveries += 1;
    if (view.messages.some((held) => held.id === message.id)) {
      stats.repeatsDropped += 1;
    } else if (via === "live" && (view.messages.at(-1)?.seq ?? 0) > message.seq) {
      stats.lateArrivals += 1;
    }
    dispatch(peerId, { type: "message/received", message });
    if (message.senderId === user.id) outbox.confirm(message.clientId);
    watchGap(peerId);
  }

  function countPage(peerId: string, messages: ChatMessage[]) {
    const held = new Set(conversations.get(peerId)?.view?.messages.map((message) => message.id));
    for (const message of messages) {
      if (held.has(message.id)) stats.repeatsDropped += 1;
      if (message.senderId === user.id) outbox.confirm(message.clientId);
    }
  }

  /** Like the page: a live message past a gap waits briefly for the missing one, then catches up. */
  function watchGap(peerId: string) {
    const view = conversations.get(peerId)?.view;
    if (stopped || !view || !needsCatchUp(view) || gapTimers.has(peerId)) return;
    gapTimers.set(
      peerId,
      setTimeout(() => {
        gapTimers.delete(peerId);
        const current = conversations.get(peerId)?.view;
        if (current && needsCatchUp(current)) void sync(peerId);
      }, GAP_WAIT_MS),
    );
  }

  /** First page, or catch-up after the synced position; then back to the start. True when complete. */
  async function syncOnce(peerId: string): Promise<boolean> {
    const getView = () => conversations.get(peerId)?.view ?? null;
    stats.catchUps += 1;
    try {
      if (getView()?.loading === "initial") {
        try {
          const page = await fetchHistory({ with: peerId, limit: HISTORY_DEFAULT_LIMIT });
          countPage(peerId, page.messages);
          dispatch(peerId, { type: "history/loaded", peerId, mode: "initial", messages: page.messages, hasOlder: page.nextBefore !== null });
        } catch (error) {
          dispatch(peerId, { type: "history/failed", peerId, mode: "initial", error: (error as Error).message });
          throw error;
        }
      } else {
        await catchUpView(
          {
            getView,
            fetchHistory,
            dispatch: (action) => {
              if (action.type === "history/loaded") countPage(peerId, action.messages);
              dispatch(peerId, action);
            },
          },
          { pageSize: HISTORY_MAX_LIMIT, newestPageSize: HISTORY_DEFAULT_LIMIT, maxPages: MAX_CATCH_UP_PAGES },
        );
      }
      // Scroll to the top: the comparison needs the whole conversation.
      for (let guard = 0; guard < 1_000; guard += 1) {
        const view = getView();
        const oldest = view?.messages[0];
        if (!view || !oldest || !view.hasOlder) break;
        dispatch(peerId, { type: "history/loading", peerId, mode: "older" });
        try {
          const page = await fetchHistory({ with: peerId, limit: HISTORY_MAX_LIMIT, before: oldest.id });
          countPage(peerId, page.messages);
          dispatch(peerId, { type: "history/loaded", peerId, mode: "older", messages: page.messages, hasOlder: page.nextBefore !== null });
        } catch (error) {
          dispatch(peerId, { type: "history/failed", peerId, mode: "older", error: (error as Error).message });
          throw error;
        }
      }
      const view = getView();
      return view !== null && view.error === null && !view.hasOlder && !needsCatchUp(view);
    } catch {
      stats.catchUpFailures += 1;
      return false;
    } finally {
      watchGap(peerId);
    }
  }

  /** One sync per conversation at a time; a request during one runs another right after it. */
  function sync(peerId: string): Promise<boolean> {
    let flight = flights.get(peerId);
    if (!flight) flights.set(peerId, (flight = { running: null, again: false }));
    if (flight.running) {
      flight.again = true;
      return flight.running;
    }
    const current = flight;
    current.running = (async () => {
      let complete = false;
      do {
        current.again = false;
        complete = await syncOnce(peerId);
      } while (current.again && !stopped);
      return complete;
    })().finally(() => {
      current.running = null;
    });
    return current.running;
  }

  async function resync(): Promise<boolean> {
    let listed = true;
    try {
      const list = await callApi<ConversationSummary[]>(http, "/api/chat/conversations");
      for (const summary of list) conversation(summary.peer.id);
    } catch {
      listed = false;
    }
    const results = await Promise.all([...conversations.keys()].map((peerId) => sync(peerId)));
    return listed && results.every(Boolean);
  }

  const tokens: TokenSource = createTokenSource(async () => {
    try {
      return await callApi<SessionInfo>(http, "/api/auth/session");
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw new SessionEndedError();
      throw error;
    }
  });
  const connection = connectChatSocket(socketUrl, tokens, {
    onState: () => {},
    onConnect: () => {
      stats.connects += 1;
      void resync();
      void outbox.flush({ resetBackoff: true });
    },
    onMessage: (message) => receive(message, "live"),
    onSessionEnded: (reason) => {
      stats.sessionEnded = reason;
    },
  });

  connection.socket.on("server:shutdown", () => {
    stats.shutdownNotices += 1;
  });

  return {
    user,
    http,
    outbox,
    connection,
    stats,
    queued,
    conversations,
    send(recipientId, content) {
      const item = outbox.add({ recipientId, content });
      queued.push({ clientId: item.clientId, recipientId, content, index: queued.length });
    },
    resync,
    stop() {
      stopped = true;
      for (const timer of gapTimers.values()) clearTimeout(timer);
      gapTimers.clear();
      connection.close();
      tokens.dispose();
      outbox.dispose();
    },
  };
}
