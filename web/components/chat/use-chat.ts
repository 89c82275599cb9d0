import { useCallback, useEffect, useRef, useState } from "react";
import { HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT } from "@/lib/validations/chat";
import type { AuthUser, ChatMessage, ConversationSummary, HistoryPage, UserProfile } from "@/lib/types";
import { apiFetch, isUnauthorized } from "@/lib/client/api";
import { createBrowserOutbox, type Outbox } from "@/lib/client/outbox";
import { watchResume } from "@/lib/client/resume";
import { createTokenSource } from "@/lib/client/session";
import { connectChatSocket, type ChatConnection, type ConnectionState } from "@/lib/client/socket";
import { catchUpView, type HistoryQuery } from "./catch-up";
import { chatReducer, createChatState, needsCatchUp, type ChatAction, type ChatState } from "./chat-state";

// Bounds a catch-up after a long outage (see catchUpView).
const MAX_CATCH_UP_PAGES = 20;
// A live message past a gap waits this long for the missing one (pushes can overtake each other)
// before a catch-up fetches it.
const GAP_WAIT_MS = 1_500;

function fetchHistory(query: HistoryQuery) {
  return apiFetch<HistoryPage>("/api/chat/history", { query: { ...query } });
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : "Something went wrong.";
}

/** The open conversation survives a reload of this tab (sessionStorage is per tab). */
function openConversationKey(userId: string): string {
  return `chat:open:v1:${userId}`;
}

function rememberOpen(userId: string, peer: UserProfile | null): void {
  try {
    if (peer) sessionStorage.setItem(openConversationKey(userId), JSON.stringify(peer));
    else sessionStorage.removeItem(openConversationKey(userId));
  } catch {
    // Storage blocked: a reload shows the list instead.
  }
}

function recallOpen(userId: string): UserProfile | null {
  try {
    const peer = JSON.parse(sessionStorage.getItem(openConversationKey(userId)) ?? "null") as Partial<UserProfile> | null;
    if (typeof peer?.id !== "string" || typeof peer.email !== "string") return null;
    return { id: peer.id, email: peer.email, displayName: typeof peer.displayName === "string" ? peer.displayName : null };
  } catch {
    return null;
  }
}

/**
 * All chat state and actions for one signed-in user: HTTP calls, the socket, the durable
 * outbox, and catch-up after anything that may have made us miss messages.
 */
export function useChat(user: AuthUser, socketUrl: string) {
  // The reducer runs here, not in React: async work reads the state it just produced
  // (stateRef) instead of waiting for a render.
  const stateRef = useRef<ChatState | null>(null);
  stateRef.current ??= createChatState(user.id);
  const [state, setState] = useState<ChatState>(stateRef.current);
  const dispatch = useCallback((action: ChatAction) => {
    const current = stateRef.current!;
    const next = chatReducer(current, action);
    if (next === current) return;
    stateRef.current = next;
    setState(next);
  }, []);

  const [connection, setConnection] = useState<ConnectionState>("connecting");
  const [sessionEnded, setSessionEnded] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const outboxRef = useRef<Outbox | null>(null);
  // Bumped on every (re)connect and resume, so a first page that raced one can catch up afterwards.
  const resyncsRef = useRef(0);
  const catchUpFlight = useRef({ running: false, again: false });
  const signingOut = useRef(false);

  /** Messages that reached us by any path; ours are done in the outbox. */
  const confirmOwn = useCallback(
    (messages: ChatMessage[]) => {
      for (const message of messages) {
        if (message.senderId === user.id) outboxRef.current?.confirm(message.clientId);
      }
    },
    [user.id],
  );

  const receive = useCallback(
    (message: ChatMessage) => {
      dispatch({ type: "message/received", message });
      confirmOwn([message]);
    },
    [dispatch, confirmOwn],
  );

  const fail = useCallback((error: unknown, context: string) => {
    if (isUnauthorized(error)) {
      setSessionEnded(true);
      return;
    }
    setNotice(`${context}: ${describeError(error)}`);
  }, []);

  const loadConversations = useCallback(async () => {
    try {
      const conversations = await apiFetch<ConversationSummary[]>("/api/chat/conversations");
      dispatch({ type: "conversations/loaded", conversations });
    } catch (error) {
      // A refresh after a reconnect may fail too; the list on screen stays and the next one retries.
      if (!stateRef.current!.conversationsLoaded || isUnauthorized(error)) fail(error, "Could not load conversations");
    }
  }, [dispatch, fail]);

  const catchUpOnce = useCallback(
    () =>
      catchUpView(
        { getView: () => stateRef.current!.view, fetchHistory, dispatch, onMessages: confirmOwn },
        { pageSize: HISTORY_MAX_LIMIT, newestPageSize: HISTORY_DEFAULT_LIMIT, maxPages: MAX_CATCH_UP_PAGES },
      ),
    [dispatch, confirmOwn],
  );

  /** One catch-up at a time; a request during one runs another right after it. */
  const catchUp = useCallback(async () => {
    const flight = catchUpFlight.current;
    if (flight.running) {
      flight.again = true;
      return;
    }
    flight.running = true;
    try {
      do {
        flight.again = false;
        try {
          await catchUpOnce();
        } catch (error) {
          // The next reconnect or resume tries again; live messages keep flowing meanwhile.
          if (isUnauthorized(error)) setSessionEnded(true);
          return;
        }
      } while (flight.again);
    } finally {
      flight.running = false;
    }
  }, [catchUpOnce]);

  const openConversation = useCallback(
    async (peer: UserProfile) => {
      if (stateRef.current!.view?.peer.id === peer.id) return;
      dispatch({ type: "open", peer });
      rememberOpen(user.id, peer);
      const resyncsBefore = resyncsRef.current;
      try {
        const page = await fetchHistory({ with: peer.id, limit: HISTORY_DEFAULT_LIMIT });
        dispatch({ type: "history/loaded", peerId: peer.id, mode: "initial", messages: page.messages, hasOlder: page.nextBefore !== null });
        confirmOwn(page.messages);
      } catch (error) {
        if (isUnauthorized(error)) setSessionEnded(true);
        dispatch({ type: "history/failed", peerId: peer.id, mode: "initial", error: describeError(error) });
        return;
      }
      // The socket came (back) up while the page was in flight: fetch whatever fell in between.
      if (resyncsRef.current !== resyncsBefore) await catchUp();
    },
    [dispatch, confirmOwn, catchUp, user.id],
  );

  const closeConversation = useCallback(() => {
    dispatch({ type: "close" });
    rememberOpen(user.id, null);
  }, [dispatch, user.id]);

  const loadOlder = useCallback(async () => {
    const view = stateRef.current!.view;
    const oldest = view?.messages[0];
    if (!view || !oldest || !view.hasOlder || view.loading) return;
    const peerId = view.peer.id;
    dispatch({ type: "history/loading", peerId, mode: "older" });
    try {
      const page = await fetchHistory({ with: peerId, limit: HISTORY_DEFAULT_LIMIT, before: oldest.id });
      dispatch({ type: "history/loaded", peerId, mode: "older", messages: page.messages, hasOlder: page.nextBefore !== null });
      confirmOwn(page.messages);
    } catch (error) {
      if (isUnauthorized(error)) setSessionEnded(true);
      dispatch({ type: "history/failed", peerId, mode: "older", error: describeError(error) });
    }
  }, [dispatch, confirmOwn]);

  /** Queues the message in the durable outbox, which sends it (and retries) with one clientId. */
  const sendMessage = useCallback((content: string) => {
    const peer = stateRef.current!.view?.peer;
    if (!peer) return;
    outboxRef.current?.add({ recipientId: peer.id, content });
  }, []);

  const retryMessage = useCallback((clientId: string) => outboxRef.current?.retry(clientId), []);
  const discardMessage = useCallback((clientId: string) => outboxRef.current?.discard(clientId), []);
  const dismissNotice = useCallback(() => setNotice(null), []);

  const signOut = useCallback(async () => {
    const unsent = outboxRef.current?.items().length ?? 0;
    if (unsent > 0) {
      const what = unsent === 1 ? "1 message has" : `${unsent} messages have`;
      if (!window.confirm(`${what} not been sent yet and will be deleted. Sign out anyway?`)) return;
    }
    signingOut.current = true;
    try {
      await apiFetch("/api/auth/logout", { method: "POST" });
    } catch (error) {
      // Already signed out is as good as signing out now.
      if (!isUnauthorized(error)) {
        signingOut.current = false;
        setNotice(`Could not sign out: ${describeError(error)}`);
        return;
      }
    }
    // Signing out on purpose deletes what is unsent; a session ended elsewhere keeps it for the next sign-in.
    outboxRef.current?.clear();
    rememberOpen(user.id, null);
    // A full navigation drops the socket and every bit of state in memory.
    window.location.assign("/login");
  }, [user.id]);

  // The outbox, the socket and the resume watcher live as long as the page (per user).
  useEffect(() => {
    const outbox = createBrowserOutbox(user.id, {
      onSent: (message) => dispatch({ type: "message/received", message }),
      onUnauthorized: () => setSessionEnded(true),
    });
    outboxRef.current = outbox;
    const unsubscribe = outbox.subscribe((items) => dispatch({ type: "outbox/synced", items }));
    dispatch({ type: "outbox/synced", items: outbox.items() });
    // What an earlier page (or a reload while offline) left behind goes out now.
    void outbox.flush();

    /** Anything after which we may have missed messages: fetch them, the list, and send what waits. */
    const resync = () => {
      resyncsRef.current += 1;
      void catchUp();
      void loadConversations();
      void outbox.flush({ resetBackoff: true });
    };

    const tokens = createTokenSource();
    let connection: ChatConnection | null = null;
    connection = connectChatSocket(socketUrl, tokens, {
      onState: setConnection,
      onConnect: resync,
      onMessage: receive,
      onSessionEnded: (reason) => {
        setSessionEnded(true);
        outbox.dispose();
        // Signed out (here, in another tab or on another device): the sign-in page, now.
        if (reason === "signed_out" && !signingOut.current) window.location.assign("/login");
      },
      onRateLimited: (payload) => console.warn(`socket event ${payload.event} rate limited; retry in ${payload.retryAfterMs} ms`),
    });
    const stopWatching = watchResume(() => {
      connection?.reconnectNow();
      resync();
    });

    return () => {
      stopWatching();
      connection?.close();
      tokens.dispose();
      unsubscribe();
      outbox.dispose();
      if (outboxRef.current === outbox) outboxRef.current = null;
    };
  }, [user.id, socketUrl, dispatch, receive, catchUp, loadConversations]);

  useEffect(() => {
    void loadConversations();
    // Back where this tab was before a reload.
    const peer = recallOpen(user.id);
    if (peer) void openConversation(peer);
  }, [user.id, loadConversations, openConversation]);

  useEffect(() => {
    if (state.conversationsStale) void loadConversations();
  }, [state.conversationsStale, loadConversations]);

  // A live message past a gap (a lost or late push): catch up if the gap is still there shortly.
  const view = state.view;
  const gap = view ? needsCatchUp(view) : false;
  const lastId = view?.messages.at(-1)?.id;
  const gapTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    if (!gap || gapTimer.current) return;
    gapTimer.current = setTimeout(() => {
      gapTimer.current = null;
      if (stateRef.current!.view && needsCatchUp(stateRef.current!.view)) void catchUp();
    }, GAP_WAIT_MS);
  }, [gap, lastId, catchUp]);
  useEffect(
    () => () => {
      if (gapTimer.current) clearTimeout(gapTimer.current);
      gapTimer.current = null;
    },
    [],
  );

  return {
    state,
    connection: sessionEnded ? ("signed-out" as const) : connection,
    sessionEnded,
    notice,
    dismissNotice,
    openConversation,
    closeConversation,
    loadOlder,
    sendMessage,
    retryMessage,
    discardMessage,
    signOut,
  };
}
