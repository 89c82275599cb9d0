import { createTypingSender, createTypingWatcher, type TypingSender, type TypingWatcher } from "@/lib/client/typing";
import { targetKey, type ConversationTarget } from "./chat-state";
import type { ChatCore } from "./core";
import type { TypingTarget } from "@/lib/types";

const GROUP_PREFIX = "g:";

/** The socket's addressee for a target key (`targetKey`): a group, or a peer. */
function typingTargetOf(key: string): TypingTarget {
  return key.startsWith(GROUP_PREFIX) ? { conversationId: key.slice(GROUP_PREFIX.length) } : { to: key };
}

/** Typing indicators both ways: ours to the open conversation, theirs (peers, group members) into the state. */
export function createTyping(core: ChatCore) {
  const timers = core.deps.clock;
  const me = core.deps.user.id;
  let sender: TypingSender | null = null;
  return {
    /** The draft for `target` changed. */
    input(target: ConversationTarget, text: string) {
      sender?.input(targetKey(target), text);
    },
    stop() {
      sender?.stop();
    },
    start() {
      const direct: TypingWatcher = createTypingWatcher({
        timers,
        onChange: (from, typing) => core.dispatch({ type: "typing/updated", from, typing }),
      });
      // Keyed by "<conversationId> <userId>": one indicator per member per group.
      const groups: TypingWatcher = createTypingWatcher({
        timers,
        onChange: (key, typing) => {
          const [conversationId = "", from = ""] = key.split(" ");
          core.dispatch({ type: "typing/updated", from, typing, conversationId });
        },
      });
      sender = createTypingSender({ timers, emit: (key, typing) => core.connection()?.sendTyping(typingTargetOf(key), typing) });
      const stops = [
        core.on("typing", ({ from, typing, conversationId }) => {
          if (from === me) return; // my other tab, typing in the same group
          if (conversationId === undefined) direct.update(from, typing);
          else groups.update(`${conversationId} ${from}`, typing);
        }),
        // Whoever was typing may have stopped while we could not hear it.
        core.watch(() => {
          const state = core.getState();
          if (state.connection === "connected") return;
          if (state.typing.length > 0) direct.clear();
          if (Object.keys(state.groupTyping).length > 0) groups.clear();
        }),
      ];
      return () => {
        for (const stop of stops) stop();
        sender?.stop();
        sender = null;
        direct.dispose();
        groups.dispose();
      };
    },
  };
}
