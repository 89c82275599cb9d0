import { createTypingSender, createTypingWatcher, type TypingSender, type TypingWatcher } from "@/lib/client/typing";
import type { ChatCore } from "./core";

/** Typing indicators both ways: ours to the open peer, theirs into the state. */
export function createTyping(core: ChatCore) {
  const timers = core.deps.clock;
  let sender: TypingSender | null = null;
  return {
    /** The draft for `peerId` changed. */
    input(peerId: string, text: string) {
      sender?.input(peerId, text);
    },
    stop() {
      sender?.stop();
    },
    start() {
      const watcher: TypingWatcher = createTypingWatcher({
        timers,
        onChange: (from, typing) => core.dispatch({ type: "typing/updated", from, typing }),
      });
      sender = createTypingSender({ timers, emit: (to, typing) => core.connection()?.sendTyping(to, typing) });
      const stops = [
        core.on("typing", ({ from, typing }) => watcher.update(from, typing)),
        // Whoever was typing may have stopped while we could not hear it.
        core.watch(() => {
          if (core.getState().connection !== "connected" && core.getState().typing.length > 0) watcher.clear();
        }),
      ];
      return () => {
        for (const stop of stops) stop();
        sender?.stop();
        sender = null;
        watcher.dispose();
      };
    },
  };
}
