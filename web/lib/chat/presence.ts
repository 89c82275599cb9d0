import type { ChatCore } from "./core";

// The server follows at most this many per socket.
const MAX_FOLLOWED = 200;

/** Whose presence we follow: every listed peer, the open conversation's peer, and the open group's members. */
export function followedPeers(state: ReturnType<ChatCore["getState"]>): string[] {
  const ids = new Set<string>();
  if (state.view?.peer) ids.add(state.view.peer.id);
  for (const member of state.view?.removed ? [] : (state.view?.members ?? [])) ids.add(member.user.id);
  for (const conversation of state.conversations) if (conversation.peer) ids.add(conversation.peer.id);
  ids.delete(state.me);
  // The open conversation's people first, then the most recent conversations.
  return [...ids].slice(0, MAX_FOLLOWED).sort();
}

/**
 * Presence: follows the listed peers (and the open conversation's people) and loads their state; again on every
 * new socket, since the server forgets a socket's subscriptions when it drops.
 */
export function createPresence(core: ChatCore) {
  return {
    start() {
      let subscribed: string | null = null;
      let generation = 0;

      const sync = () => {
        const connection = core.connection();
        // A new socket starts with no subscriptions.
        if (core.getState().connection !== "connected") subscribed = null;
        if (!connection || core.getState().connection !== "connected") return;
        const peers = followedPeers(core.getState());
        const key = peers.join(",");
        if (key === subscribed) return;
        subscribed = key;
        if (peers.length === 0) return;
        const current = ++generation;
        void connection.subscribePresence(peers).then((states) => {
          // A newer subscription answers for a newer list.
          if (current === generation && states) core.dispatch({ type: "presence/loaded", states });
        });
      };

      const stops = [core.on("connect", sync), core.watch(sync)];
      return () => {
        generation += 1;
        for (const stop of stops) stop();
      };
    },
  };
}
