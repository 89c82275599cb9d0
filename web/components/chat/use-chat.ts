import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT } from "@/lib/limits";
import type { AuthUser, ChatMessage, ConversationSummary, HistoryPage, ReadState, UserProfile } from "@/lib/types";
import { apiFetch, isUnauthorized } from "@/lib/client/api";
import {
  notificationBody,
  notificationSupport,
  readNotifyPreference,
  requestNotifications,
  showNotification,
  writeNotifyPreference,
  type NotificationSupport,
} from "@/lib/client/notifications";
import { createBrowserOutbox, type Outbox } from "@/lib/client/outbox";
import { watchResume } from "@/lib/client/resume";
import { createTokenSource } from "@/lib/client/session";
import { connectChatSocket, type ChatConnection, type ConnectionState } from "@/lib/client/socket";
import { createTypingSender, createTypingWatcher, type TypingSender } from "@/lib/client/typing";
import { catchUpView, type HistoryQuery } from "./catch-up";
import { chatReducer, conversationWith, createChatState, needsCatchUp, readTarget, type ChatAction, type ChatState } from "./chat-state";
import { displayName } from "./format";

// Bounds a catch-up after a long outage (see catchUpView).
const MAX_CATCH_UP_PAGES = 20;
// A live message past a gap waits this long for the missing one (pushes can overtake each other)
// before a catch-up fetches it.
const GAP_WAIT_MS = 1_500;
// Messages arriving in a burst are marked read once.
const READ_DEBOUNCE_MS = 400;
// A failed read mark is tried again after this long (while the conversation stays on screen).
const READ_RETRY_MS = 5_000;

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
  const connectionRef = useRef<ChatConnection | null>(null);
  // Bumped on every connect: presence must be subscribed again on each new socket.
  const [connects, setConnects] = useState(0);
  const typingRef = useRef<TypingSender | null>(null);
  const drafts = useRef(new Map<string, string>());
  const [profile, setProfile] = useState<UserProfile>({ id: user.id, email: user.email, displayName: null });
  const [notifications, setNotifications] = useState<{ support: NotificationSupport; enabled: boolean }>({
    support: "default",
    enabled: false,
  });
  const notificationsRef = useRef(notifications);
  notificationsRef.current = notifications;
  const notified = useRef(new Set<string>());

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

  const loadConversations = useCallback(async () => {
    try {
      const conversations = await apiFetch<ConversationSummary[]>("/api/chat/conversations");
      dispatch({ type: "conversations/loaded", conversations });
    } catch (error) {
      if (isUnauthorized(error)) return setSessionEnded(true);
      // A refresh after a reconnect may fail too; the list on screen stays and the next one retries.
      if (!stateRef.current!.conversationsLoaded) dispatch({ type: "conversations/failed", error: describeError(error) });
    }
  }, [dispatch]);

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
      typingRef.current?.stop();
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
    typingRef.current?.stop();
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
    typingRef.current?.stop();
    drafts.current.delete(peer.id);
    outboxRef.current?.add({ recipientId: peer.id, content });
  }, []);

  /** The open conversation's draft changed: kept per conversation, and tells the peer we type. */
  const changeDraft = useCallback((text: string) => {
    const peer = stateRef.current!.view?.peer;
    if (!peer) return;
    if (text) drafts.current.set(peer.id, text);
    else drafts.current.delete(peer.id);
    typingRef.current?.input(peer.id, text);
  }, []);
  const stopTyping = useCallback(() => typingRef.current?.stop(), []);
  const draftFor = useCallback((peerId: string) => drafts.current.get(peerId) ?? "", []);

  /** Loads the open conversation again after its first page failed. */
  const retryHistory = useCallback(() => void catchUp(), [catchUp]);
  const retryConversations = useCallback(() => void loadConversations(), [loadConversations]);

  const updateDisplayName = useCallback(async (name: string) => {
    const updated = await apiFetch<UserProfile>("/api/profile", { method: "PATCH", json: { displayName: name.trim() || null } });
    setProfile(updated);
    return updated;
  }, []);

  /** From a button only: the browser's permission prompt, then our own switch. */
  const setNotificationsEnabled = useCallback(
    async (enabled: boolean) => {
      let support = notificationSupport();
      if (enabled && support === "default") support = await requestNotifications();
      const on = enabled && support === "granted";
      writeNotifyPreference(user.id, enabled ? on : false);
      setNotifications({ support, enabled: on });
    },
    [user.id],
  );

  /** A peer's message while this tab is hidden: a system notification, if allowed. */
  const notify = useCallback(
    (message: ChatMessage) => {
      if (message.senderId === user.id || document.visibilityState !== "hidden") return;
      if (!notificationsRef.current.enabled || notified.current.has(message.id)) return;
      notified.current.add(message.id);
      const peer = conversationWith(stateRef.current!, message.senderId)?.peer;
      showNotification({
        title: peer ? displayName(peer) : "New message",
        body: notificationBody(message.content),
        tag: message.conversationId,
        onClick: () => {
          const known = conversationWith(stateRef.current!, message.senderId)?.peer;
          if (known) void openConversation(known);
        },
      });
    },
    [user.id, openConversation],
  );

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

    const typingWatcher = createTypingWatcher({ onChange: (from, typing) => dispatch({ type: "typing/updated", from, typing }) });
    typingRef.current = createTypingSender({ emit: (to, typing) => connectionRef.current?.sendTyping(to, typing) });

    const tokens = createTokenSource();
    let connection: ChatConnection | null = null;
    connection = connectChatSocket(socketUrl, tokens, {
      onState: (next) => {
        setConnection(next);
        // Whoever was typing may have stopped while we could not hear it.
        if (next !== "connected") typingWatcher.clear();
      },
      onConnect: () => {
        setConnects((count) => count + 1);
        resync();
      },
      onMessage: (message) => {
        receive(message);
        notify(message);
      },
      onReadUpdated: (read) => dispatch({ type: "read/updated", state: read }),
      onPresence: (presence) => dispatch({ type: "presence/updated", state: presence }),
      onTyping: ({ from, typing }) => typingWatcher.update(from, typing),
      onSessionEnded: (reason) => {
        setSessionEnded(true);
        outbox.dispose();
        // Signed out (here, in another tab or on another device): the sign-in page, now.
        if (reason === "signed_out" && !signingOut.current) window.location.assign("/login");
      },
      onRateLimited: (payload) => console.warn(`socket event ${payload.event} rate limited; retry in ${payload.retryAfterMs} ms`),
    });
    connectionRef.current = connection;
    const stopWatching = watchResume(() => {
      connection?.reconnectNow();
      resync();
    });
    const onVisibility = () => dispatch({ type: "visibility/changed", visible: document.visibilityState === "visible" });
    onVisibility();
    document.addEventListener("visibilitychange", onVisibility);

    return () => {
      document.removeEventListener("visibilitychange", onVisibility);
      stopWatching();
      typingRef.current?.stop();
      typingRef.current = null;
      typingWatcher.dispose();
      if (connectionRef.current === connection) connectionRef.current = null;
      connection?.close();
      tokens.dispose();
      unsubscribe();
      outbox.dispose();
      if (outboxRef.current === outbox) outboxRef.current = null;
    };
  }, [user.id, socketUrl, dispatch, receive, notify, catchUp, loadConversations]);

  useEffect(() => {
    const support = notificationSupport();
    setNotifications({ support, enabled: support === "granted" && readNotifyPreference(user.id) });
    apiFetch<UserProfile>("/api/profile").then(setProfile, () => {
      // The email stands in until a later load works.
    });
  }, [user.id]);

  // Follow the presence of every listed peer and the open one; again on each new socket.
  const peerIds = useMemo(() => {
    const ids = new Set(state.conversations.map((conversation) => conversation.peer.id));
    if (state.view) ids.add(state.view.peer.id);
    return [...ids].sort().join(",");
  }, [state.conversations, state.view]);
  useEffect(() => {
    const connection = connectionRef.current;
    if (!connection || !peerIds || connects === 0) return;
    let current = true;
    void connection.subscribePresence(peerIds.split(",")).then((states) => {
      if (current && states) dispatch({ type: "presence/loaded", states });
    });
    return () => {
      current = false;
    };
  }, [peerIds, connects, dispatch]);

  // The open conversation on screen is read: tell the server (and so the peer and our other tabs).
  const target = readTarget(state);
  const targetPeer = target?.peerId;
  const targetSeq = target?.seq;
  const readsInFlight = useRef(new Map<string, number>());
  const [readRetries, setReadRetries] = useState(0);
  useEffect(() => {
    if (targetPeer === undefined || targetSeq === undefined) return;
    const timer = setTimeout(async () => {
      const inFlight = readsInFlight.current;
      if ((inFlight.get(targetPeer) ?? -1) >= targetSeq) return;
      inFlight.set(targetPeer, targetSeq);
      try {
        const read = await apiFetch<ReadState>("/api/chat/read", { method: "POST", json: { peerId: targetPeer, seq: targetSeq } });
        dispatch({ type: "read/updated", state: read });
      } catch (error) {
        if (isUnauthorized(error)) setSessionEnded(true);
        else setTimeout(() => setReadRetries((count) => count + 1), READ_RETRY_MS);
      } finally {
        if (inFlight.get(targetPeer) === targetSeq) inFlight.delete(targetPeer);
      }
    }, READ_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [targetPeer, targetSeq, readRetries, dispatch]);

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
    profile,
    connection: sessionEnded ? ("signed-out" as const) : connection,
    sessionEnded,
    notice,
    notifications,
    dismissNotice,
    openConversation,
    closeConversation,
    loadOlder,
    retryHistory,
    retryConversations,
    sendMessage,
    changeDraft,
    stopTyping,
    draftFor,
    retryMessage,
    discardMessage,
    updateDisplayName,
    setNotificationsEnabled,
    signOut,
  };
}
