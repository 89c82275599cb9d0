import { isConversationGone, isUnauthorized } from "@/lib/client/api";
import { HISTORY_DEFAULT_LIMIT } from "@/lib/limits";
import { historyQuery, type CatchUp } from "./catch-up";
import { conversationById, conversationWith, isViewOf, targetOf, type ConversationTarget, type OpenedConversation } from "./chat-state";
import { describeError, type ChatCore } from "./core";
import type { UserProfile } from "@/lib/types";

// Peers opened in this tab (a search result has no conversation yet): enough to reopen them by id.
const MAX_KNOWN_PEERS = 50;
const knownPeersKey = (userId: string) => `chat:peers:v1:${userId}`;

export interface Conversations {
  /** Opens the direct conversation with `peer` (a search result, a direct list entry): a new one if none exists yet. */
  open(peer: UserProfile): Promise<void>;
  /** Opens a listed conversation by its id (a group, or a direct one); nothing when it is not listed. */
  openById(conversationId: string): Promise<void>;
  /**
   * Shows what a URL asks for: the list (null), a direct conversation by its peer once the peer is
   * known (the list, or a peer opened in this tab), or a group once listed; `route.status` says
   * when it is not.
   */
  show(target: ConversationTarget | null): void;
  close(): void;
  loadOlder(): Promise<void>;
  /** Loads the open conversation again after its first page failed. */
  retry(): void;
  /** Fetches a group's detail (name, every member) into the state; a 404 means we are no longer in it. */
  refresh(conversationId: string): Promise<void>;
  /** Forgets the peers opened in this tab (signing out). */
  forget(): void;
  start(): () => void;
}

export function createConversations(core: ChatCore, catchUp: CatchUp, hooks: { beforeSwitch(): void }): Conversations {
  const { api, storage, user } = core.deps;
  const refreshing = new Map<string, { again: boolean }>();

  function readKnown(): UserProfile[] {
    try {
      const parsed = JSON.parse(storage.session.getItem(knownPeersKey(user.id)) ?? "[]") as unknown;
      if (!Array.isArray(parsed)) return [];
      return parsed.filter(
        (peer): peer is UserProfile =>
          typeof peer?.id === "string" &&
          typeof peer.email === "string" &&
          (peer.displayName === null || typeof peer.displayName === "string"),
      );
    } catch {
      return [];
    }
  }

  function remember(peer: UserProfile) {
    const peers = [...readKnown().filter((known) => known.id !== peer.id), peer].slice(-MAX_KNOWN_PEERS);
    try {
      storage.session.setItem(knownPeersKey(user.id), JSON.stringify(peers));
    } catch {
      // Storage blocked: a reload of this conversation's URL then waits for the list.
    }
  }

  function resolvePeer(peerId: string): UserProfile | null {
    const state = core.getState();
    if (peerId === user.id) return null;
    return conversationWith(state, peerId)?.peer ?? readKnown().find((peer) => peer.id === peerId) ?? null;
  }

  /** The server says the conversation is not ours (any more): off the list, the view marked. */
  function handleFailure(error: unknown, conversationId: string | null) {
    if (isUnauthorized(error)) core.endSession();
    else if (conversationId && isConversationGone(error)) core.dispatch({ type: "conversation/left", conversationId });
  }

  async function refresh(conversationId: string): Promise<void> {
    const running = refreshing.get(conversationId);
    if (running) {
      running.again = true;
      return;
    }
    const entry = { again: true };
    refreshing.set(conversationId, entry);
    try {
      while (entry.again) {
        entry.again = false;
        try {
          const detail = await api.getConversation(conversationId);
          core.dispatch({ type: "conversation/detail", detail });
        } catch (error) {
          // Names fall back to what the list knows; the next change or open tries again.
          handleFailure(error, conversationId);
          return;
        }
      }
    } finally {
      refreshing.delete(conversationId);
    }
  }

  async function openConversation(opened: OpenedConversation): Promise<void> {
    const target: ConversationTarget =
      opened.kind === "group" ? { kind: "group", conversationId: opened.conversationId } : { kind: "direct", peerId: opened.peer.id };
    const current = core.getState().view;
    if (isViewOf(current, target) && !current.removed) return;
    hooks.beforeSwitch();
    core.dispatch({ type: "open", conversation: opened });
    // Names and roles of every member (the list carries a few).
    if (opened.kind === "group") void refresh(opened.conversationId);
    const resyncsBefore = catchUp.resyncs();
    // Read before the page is asked for, so every change up to it is in the page.
    const listedPos = (opened.conversationId ? conversationById(core.getState(), opened.conversationId) : undefined)?.lastPos;
    try {
      const page = await api.fetchHistory(historyQuery(target, { limit: HISTORY_DEFAULT_LIMIT }));
      core.dispatch({
        type: "history/loaded",
        target,
        mode: "initial",
        messages: page.messages,
        hasOlder: page.nextBefore !== null,
        ...(listedPos !== undefined && { listedPos }),
      });
      core.confirmOwn(page.messages);
    } catch (error) {
      handleFailure(error, opened.kind === "group" ? opened.conversationId : null);
      core.dispatch({ type: "history/failed", target, mode: "initial", error: describeError(error) });
      return;
    }
    // The socket came (back) up while the page was in flight: fetch whatever fell in between.
    if (catchUp.resyncs() !== resyncsBefore) await catchUp.run();
  }

  function open(peer: UserProfile): Promise<void> {
    remember(peer);
    const listed = conversationWith(core.getState(), peer.id);
    return openConversation({ kind: "direct", peer: listed?.peer ?? peer, conversationId: listed?.id ?? null });
  }

  async function openById(conversationId: string): Promise<void> {
    const listed = conversationById(core.getState(), conversationId);
    if (!listed) return;
    if (listed.kind === "group") return openConversation({ kind: "group", conversationId, name: listed.name });
    if (listed.peer) return open(listed.peer);
  }

  function close() {
    if (!core.getState().view && !core.getState().route) return;
    hooks.beforeSwitch();
    core.dispatch({ type: "close" });
  }

  function show(target: ConversationTarget | null) {
    const state = core.getState();
    if (target === null) return close();
    if (isViewOf(state.view, target)) return;
    if (target.kind === "direct") {
      const peer = resolvePeer(target.peerId);
      if (peer) return void open(peer);
    } else {
      const listed = conversationById(state, target.conversationId);
      if (listed?.kind === "group") return void openById(listed.id);
    }
    // Not ours, not a user, or the list is still on its way (then the watcher below decides).
    const mine = target.kind === "direct" && target.peerId === user.id;
    const status = state.conversationsLoaded || mine ? "missing" : "resolving";
    const route = state.route;
    if (route && route.status === status && JSON.stringify(route.target) === JSON.stringify(target)) return;
    if (state.view) hooks.beforeSwitch();
    core.dispatch({ type: "route/changed", route: { target, status } });
  }

  async function loadOlder() {
    const view = core.getState().view;
    const oldest = view?.messages[0];
    if (!view || !oldest || !view.hasOlder || view.loading || view.removed) return;
    const target = targetOf(view);
    core.dispatch({ type: "history/loading", target, mode: "older" });
    try {
      const page = await api.fetchHistory(historyQuery(target, { limit: HISTORY_DEFAULT_LIMIT, before: oldest.id }));
      core.dispatch({ type: "history/loaded", target, mode: "older", messages: page.messages, hasOlder: page.nextBefore !== null });
      core.confirmOwn(page.messages);
    } catch (error) {
      handleFailure(error, view.kind === "group" ? view.conversationId : null);
      core.dispatch({ type: "history/failed", target, mode: "older", error: describeError(error) });
    }
  }

  return {
    open,
    openById,
    show,
    close,
    loadOlder,
    retry: () => void catchUp.run(),
    refresh,
    forget() {
      try {
        storage.session.removeItem(knownPeersKey(user.id));
      } catch {
        // Nothing to forget.
      }
    },
    start() {
      let refreshingList = false;
      return core.watch(() => {
        const { route, conversationsLoaded, conversationsStale } = core.getState();
        // A link waiting for the list: decide once the list is there.
        if (route?.status === "resolving" && conversationsLoaded) show(route.target);
        // The list lacks something we were told about (a new conversation): fetch it again.
        if (conversationsStale && !refreshingList) {
          refreshingList = true;
          void core.loadConversations().finally(() => {
            refreshingList = false;
          });
        }
      });
    },
  };
}
