import type { ChatCore } from "./core";

/** Peers whose presence we follow: everyone listed, and the open conversation's peer. */
export function followedPeers(state: ReturnType<ChatCore["getState"]>): string[] {
  const ids = new Set(state.conversations.map((conversation) => conversation.peer.id));
  if (state.view) ids.add(state.view.peer.id);
  return [...ids].sort();
}

/**
 * Presence: follows the listed peers (and the open one) and loads their state; again on every
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
