import { useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState } from "react";
import { HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT } from "@/lib/validations/chat";
import type { AuthUser, ChatMessage, ConversationSummary, HistoryPage, UserProfile } from "@/lib/types";
import { apiFetch, isUnauthorized } from "@/lib/client/api";
import { createClientId } from "@/lib/client/client-id";
import { createTokenSource } from "@/lib/client/session";
import { connectChatSocket, type ConnectionState } from "@/lib/client/socket";
import { chatReducer, createChatState, type OutboxItem } from "./chat-state";

// Bounds a catch-up after a long outage; past it the user scrolls like for any older page.
const MAX_CATCH_UP_PAGES = 20;

function fetchHistory(query: { with: string; limit: number; before?: string; after?: string }) {
  return apiFetch<HistoryPage>("/api/chat/history", { query });
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : "Something went wrong.";
}

/** All chat state and actions for one signed-in user: HTTP calls, the socket and reconciliation. */
export function useChat(user: AuthUser, socketUrl: string) {
  const [state, dispatch] = useReducer(chatReducer, user.id, createChatState);
  const [connection, setConnection] = useState<ConnectionState>("connecting");
  const [sessionEnded, setSessionEnded] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  // Async work reads the latest state here rather than closing over a stale render.
  const stateRef = useRef(state);
  useLayoutEffect(() => {
    stateRef.current = state;
  });
  // Counts socket connects, so a history load that raced a (re)connect can catch up afterwards.
  const connectsRef = useRef(0);

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
      fail(error, "Could not load conversations");
    }
  }, [fail]);

  /** Fetches everything after the newest message held for the open conversation. */
  const catchUp = useCallback(async () => {
    const view = stateRef.current.view;
    if (!view || view.loading === "initial") return;
    const peerId = view.peer.id;
    let after = view.messages.at(-1)?.id;
    try {
      if (!after) {
        const page = await fetchHistory({ with: peerId, limit: HISTORY_DEFAULT_LIMIT });
        dispatch({ type: "history/loaded", peerId, mode: "after", messages: page.messages, hasOlder: page.nextBefore !== null });
        return;
      }
      for (let pages = 0; pages < MAX_CATCH_UP_PAGES && after; pages += 1) {
        const page = await fetchHistory({ with: peerId, after, limit: HISTORY_MAX_LIMIT });
        dispatch({ type: "history/loaded", peerId, mode: "after", messages: page.messages });
        if (page.messages.length < HISTORY_MAX_LIMIT) break;
        after = page.messages.at(-1)?.id;
      }
    } catch (error) {
      // The next connect tries again; live messages keep flowing meanwhile.
      if (isUnauthorized(error)) setSessionEnded(true);
    }
  }, []);

  const openConversation = useCallback(
    async (peer: UserProfile) => {
      if (stateRef.current.view?.peer.id === peer.id) return;
      dispatch({ type: "open", peer });
      const connectsBefore = connectsRef.current;
      try {
        const page = await fetchHistory({ with: peer.id, limit: HISTORY_DEFAULT_LIMIT });
        dispatch({ type: "history/loaded", peerId: peer.id, mode: "initial", messages: page.messages, hasOlder: page.nextBefore !== null });
      } catch (error) {
        if (isUnauthorized(error)) setSessionEnded(true);
        dispatch({ type: "history/failed", peerId: peer.id, mode: "initial", error: describeError(error) });
        return;
      }
      // The socket came up while the page was in flight: fetch whatever fell in between.
      if (connectsRef.current !== connectsBefore) await catchUp();
    },
    [catchUp],
  );

  const closeConversation = useCallback(() => dispatch({ type: "close" }), []);

  const loadOlder = useCallback(async () => {
    const view = stateRef.current.view;
    const oldest = view?.messages[0];
    if (!view || !oldest || !view.hasOlder || view.loading) return;
    const peerId = view.peer.id;
    dispatch({ type: "history/loading", peerId, mode: "older" });
    try {
      const page = await fetchHistory({ with: peerId, limit: HISTORY_DEFAULT_LIMIT, before: oldest.id });
      dispatch({ type: "history/loaded", peerId, mode: "older", messages: page.messages, hasOlder: page.nextBefore !== null });
    } catch (error) {
      if (isUnauthorized(error)) setSessionEnded(true);
      dispatch({ type: "history/failed", peerId, mode: "older", error: describeError(error) });
    }
  }, []);

  const deliver = useCallback(async (item: OutboxItem) => {
    try {
      const message = await apiFetch<ChatMessage>("/api/chat/send", {
        method: "POST",
        json: { recipientId: item.recipientId, content: item.content, clientId: item.clientId },
      });
      dispatch({ type: "message/received", message });
    } catch (error) {
      if (isUnauthorized(error)) setSessionEnded(true);
      dispatch({ type: "send/failed", clientId: item.clientId, error: describeError(error) });
    }
  }, []);

  const sendMessage = useCallback(
    (content: string) => {
      const peer = stateRef.current.view?.peer;
      if (!peer) return;
      const item: OutboxItem = {
        clientId: createClientId(),
        recipientId: peer.id,
        content,
        createdAt: new Date().toISOString(),
        status: "sending",
      };
      dispatch({ type: "send/started", item });
      void deliver(item);
    },
    [deliver],
  );

  /** Sends a failed message again with the same clientId, so the server stores it at most once. */
  const retryMessage = useCallback(
    (clientId: string) => {
      const failed = stateRef.current.outbox.find((item) => item.clientId === clientId);
      if (!failed || failed.status !== "failed") return;
      const item: OutboxItem = { ...failed, status: "sending", error: undefined };
      dispatch({ type: "send/started", item });
      void deliver(item);
    },
    [deliver],
  );

  const discardMessage = useCallback((clientId: string) => dispatch({ type: "send/discarded", clientId }), []);
  const dismissNotice = useCallback(() => setNotice(null), []);

  const signOut = useCallback(async () => {
    try {
      await apiFetch("/api/auth/logout", { method: "POST" });
    } catch (error) {
      // Already signed out is as good as signing out now.
      if (!isUnauthorized(error)) {
        setNotice(`Could not sign out: ${describeError(error)}`);
        return;
      }
    }
    // A full navigation drops the socket and every bit of state in memory.
    window.location.assign("/login");
  }, []);

  useEffect(() => {
    void loadConversations();
  }, [loadConversations]);

  useEffect(() => {
    if (state.conversationsStale) void loadConversations();
  }, [state.conversationsStale, loadConversations]);

  useEffect(() => {
    const tokens = createTokenSource();
    const close = connectChatSocket(socketUrl, tokens, {
      onState: setConnection,
      onConnect: () => {
        connectsRef.current += 1;
        void catchUp();
        void loadConversations();
      },
      onMessage: (message) => dispatch({ type: "message/received", message }),
      onSessionEnded: () => setSessionEnded(true),
    });
    return () => {
      close();
      tokens.dispose();
    };
  }, [socketUrl, catchUp, loadConversations]);

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
