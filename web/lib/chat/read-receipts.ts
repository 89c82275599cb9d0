import { isConversationGone, isUnauthorized, type ReadInput } from "@/lib/client/api";
import { readTarget, targetKey, type ConversationTarget } from "./chat-state";
import type { ChatCore } from "./core";

// Messages arriving in a burst are marked read once.
export const READ_DEBOUNCE_MS = 400;
// A failed read mark is tried again after this long (while the conversation stays on screen).
export const READ_RETRY_MS = 5_000;

/**
 * Read receipts: the open conversation on screen is read, so its newest position goes to the
 * server (and from there to the peer's "Seen", a group's "Seen by", and our other tabs), debounced.
 */
export function createReadReceipts(core: ChatCore) {
  const { api, clock } = core.deps;
  return {
    start() {
      let timer: unknown = null;
      let armed: string | null = null;
      let stopped = false;
      const inFlight = new Map<string, number>();

      const arm = (target: ConversationTarget, seq: number, delay: number) => {
        if (timer !== null) clock.clearTimeout(timer);
        armed = `${targetKey(target)}:${seq}`;
        timer = clock.setTimeout(() => {
          timer = null;
          void mark(target, seq);
        }, delay);
      };

      const mark = async (target: ConversationTarget, seq: number) => {
        const key = targetKey(target);
        if ((inFlight.get(key) ?? -1) >= seq) return;
        inFlight.set(key, seq);
        // A group by id; a direct conversation by its peer (the 1:1 form).
        const input: ReadInput = target.kind === "group" ? { conversationId: target.conversationId, seq } : { peerId: target.peerId, seq };
        try {
          const read = await api.markRead(input);
          core.dispatch({ type: "read/updated", state: read });
        } catch (error) {
          if (isUnauthorized(error)) core.endSession();
          else if (target.kind === "group" && isConversationGone(error)) {
            core.dispatch({ type: "conversation/left", conversationId: target.conversationId });
          }
          // Still the thing to mark later (nothing newer replaced it): try again.
          else if (!stopped && armed === `${key}:${seq}` && timer === null) arm(target, seq, READ_RETRY_MS);
        } finally {
          if (inFlight.get(key) === seq) inFlight.delete(key);
        }
      };

      const check = () => {
        const target = readTarget(core.getState());
        const key = target ? `${targetKey(target.target)}:${target.seq}` : null;
        if (key === armed) return;
        if (timer !== null) clock.clearTimeout(timer);
        timer = null;
        armed = key;
        if (target) arm(target.target, target.seq, READ_DEBOUNCE_MS);
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
