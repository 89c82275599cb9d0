import { isUnauthorized } from "@/lib/client/api";
import { HISTORY_DEFAULT_LIMIT } from "@/lib/limits";
import type { UserProfile } from "@/lib/types";
import { conversationWith } from "./chat-state";
import type { CatchUp } from "./catch-up";
import { describeError, type ChatCore } from "./core";

// Peers opened in this tab (a search result has no conversation yet): enough to reopen them by id.
const MAX_KNOWN_PEERS = 50;
const knownPeersKey = (userId: string) => `chat:peers:v1:${userId}`;

export interface Conversations {
  /** Opens the conversation with `peer` (from the list, a search result, a notification). */
  open(peer: UserProfile): Promise<void>;
  /**
   * Shows what a URL asks for: the list (null), or the conversation with that peer once it is
   * known (the list, or a peer opened in this tab); `route.status` says when it is not.
   */
  show(peerId: string | null): void;
  close(): void;
  loadOlder(): Promise<void>;
  /** Loads the open conversation again after its first page failed. */
  retry(): void;
  /** Forgets the peers opened in this tab (signing out). */
  forget(): void;
  start(): () => void;
}

export function createConversations(core: ChatCore, catchUp: CatchUp, hooks: { beforeSwitch(): void }): Conversations {
  const { api, storage, user } = core.deps;

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

  function resolve(peerId: string): UserProfile | null {
    const state = core.getState();
    if (peerId === user.id) return null;
    return conversationWith(state, peerId)?.peer ?? readKnown().find((peer) => peer.id === peerId) ?? null;
  }

  async function open(peer: UserProfile): Promise<void> {
    remember(peer);
    if (core.getState().view?.peer.id === peer.id) return;
    hooks.beforeSwitch();
    core.dispatch({ type: "open", peer });
    const resyncsBefore = catchUp.resyncs();
    try {
      const page = await api.fetchHistory({ with: peer.id, limit: HISTORY_DEFAULT_LIMIT });
      core.dispatch({
        type: "history/loaded",
        peerId: peer.id,
        mode: "initial",
        messages: page.messages,
        hasOlder: page.nextBefore !== null,
      });
      core.confirmOwn(page.messages);
    } catch (error) {
      if (isUnauthorized(error)) core.endSession();
      core.dispatch({ type: "history/failed", peerId: peer.id, mode: "initial", error: describeError(error) });
      return;
    }
    // The socket came (back) up while the page was in flight: fetch whatever fell in between.
    if (catchUp.resyncs() !== resyncsBefore) await catchUp.run();
  }

  function close() {
    if (!core.getState().view && !core.getState().route) return;
    hooks.beforeSwitch();
    core.dispatch({ type: "close" });
  }

  function show(peerId: string | null) {
    const state = core.getState();
    if (peerId === null) return close();
    if (state.view?.peer.id === peerId) return;
    const peer = resolve(peerId);
    if (peer) return void open(peer);
    // Not ours, not a user, or the list is still on its way (then the watcher below decides).
    const status = state.conversationsLoaded || peerId === user.id ? "missing" : "resolving";
    if (state.route?.peerId === peerId && state.route.status === status) return;
    if (state.view) hooks.beforeSwitch();
    core.dispatch({ type: "route/changed", route: { peerId, status } });
  }

  async function loadOlder() {
    const view = core.getState().view;
    const oldest = view?.messages[0];
    if (!view || !oldest || !view.hasOlder || view.loading) return;
    const peerId = view.peer.id;
    core.dispatch({ type: "history/loading", peerId, mode: "older" });
    try {
      const page = await api.fetchHistory({ with: peerId, limit: HISTORY_DEFAULT_LIMIT, before: oldest.id });
      core.dispatch({ type: "history/loaded", peerId, mode: "older", messages: page.messages, hasOlder: page.nextBefore !== null });
      core.confirmOwn(page.messages);
    } catch (error) {
      if (isUnauthorized(error)) core.endSession();
      core.dispatch({ type: "history/failed", peerId, mode: "older", error: describeError(error) });
    }
  }

  return {
    open,
    show,
    close,
    loadOlder,
    retry: () => void catchUp.run(),
    forget() {
      try {
        storage.session.removeItem(knownPeersKey(user.id));
      } catch {
        // Nothing to forget.
      }
    },
    start() {
      let refreshing = false;
      return core.watch(() => {
        const { route, conversationsLoaded, conversationsStale } = core.getState();
        // A link waiting for the list: decide once the list is there.
        if (route?.status === "resolving" && conversationsLoaded) show(route.peerId);
        // The list lacks something we were told about (a new conversation): fetch it again.
        if (conversationsStale && !refreshing) {
          refreshing = true;
          void core.loadConversations().finally(() => {
            refreshing = false;
          });
        }
      });
    },
  };
}
