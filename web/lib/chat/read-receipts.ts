import { isUnauthorized } from "@/lib/client/api";
import { readTarget } from "./chat-state";
import type { ChatCore } from "./core";

// Messages arriving in a burst are marked read once.
export const READ_DEBOUNCE_MS = 400;
// A failed read mark is tried again after this long (while the conversation stays on screen).
export const READ_RETRY_MS = 5_000;

/**
 * Read receipts: the open conversation on screen is read, so its newest position goes to the
 * server (and from there to the peer's "Seen" and our other tabs), debounced.
 */
export function createReadReceipts(core: ChatCore) {
  const { api, clock } = core.deps;
  return {
    start() {
      let timer: unknown = null;
      let armed: string | null = null;
      let stopped = false;
      const inFlight = new Map<string, number>();

      const arm = (peerId: string, seq: number, delay: number) => {
        if (timer !== null) clock.clearTimeout(timer);
        armed = `${peerId}:${seq}`;
        timer = clock.setTimeout(() => {
          timer = null;
          void mark(peerId, seq);
        }, delay);
      };

      const mark = async (peerId: string, seq: number) => {
        if ((inFlight.get(peerId) ?? -1) >= seq) return;
        inFlight.set(peerId, seq);
        try {
          const read = await api.markRead({ peerId, seq });
          core.dispatch({ type: "read/updated", state: read });
        } catch (error) {
          if (isUnauthorized(error)) core.endSession();
          // Still the thing to mark later (nothing newer replaced it): try again.
          else if (!stopped && armed === `${peerId}:${seq}` && timer === null) arm(peerId, seq, READ_RETRY_MS);
        } finally {
          if (inFlight.get(peerId) === seq) inFlight.delete(peerId);
        }
      };

      const check = () => {
        const target = readTarget(core.getState());
        const key = target ? `${target.peerId}:${target.seq}` : null;
        if (key === armed) return;
        if (timer !== null) clock.clearTimeout(timer);
        timer = null;
        armed = key;
        if (target) arm(target.peerId, target.seq, READ_DEBOUNCE_MS);
      };

      const unwatch = core.watch(check);
      check();
      return () => {
        stopped = true;
        unwatch();
        if (timer !== null) clock.clearTimeout(timer);
      };
    },
  };
}
