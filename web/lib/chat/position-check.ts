import { conversationOf } from "./chat-state";
import type { CatchUp } from "./catch-up";
import type { ChatCore } from "./core";

/** How often a visible page checks the conversations' last positions. */
export const POSITION_CHECK_MS = 60_000;

/**
 * A lost push costs at most a minute, even with the socket up: while the page is visible, the
 * conversation list (every conversation's last position) is fetched every POSITION_CHECK_MS,
 * and if the open conversation has moved past what it holds, a catch-up fetches the rest.
 * The list itself shows new messages and unread counts for the others.
 */
export function createPositionCheck(core: ChatCore, catchUp: CatchUp) {
  const { clock, page } = core.deps;

  const check = async () => {
    const before = core.getState();
    if (before.sessionEnded || !page.isVisible()) return;
    if (!(await core.loadConversations())) return;
    const { view, ...state } = core.getState();
    if (!view || view.loading === "initial" || view.removed) return;
    const listed = conversationOf(state, view);
    const last = listed?.lastMessage;
    const held = view.messages.at(-1)?.seq ?? 0;
    // A change (an edit, a reaction) whose push was lost moves only the list's lastPos.
    const changed = listed?.lastPos !== undefined && view.pos !== null && listed.lastPos > view.pos;
    if ((last && last.seq > held) || changed) await catchUp.run();
  };

  return {
    check,
    start() {
      let timer: unknown = null;
      let stopped = false;
      const schedule = () => {
        timer = clock.setTimeout(async () => {
          timer = null;
          await check();
          if (!stopped) schedule();
        }, POSITION_CHECK_MS);
      };
      schedule();
      return () => {
        stopped = true;
        if (timer !== null) clock.clearTimeout(timer);
      };
    },
  };
}
