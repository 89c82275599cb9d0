import { isConversationGone, isUnauthorized } from "@/lib/client/api";
import { CHANGES_MAX_LIMIT, HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT } from "@/lib/limits";
import type { ChatAction, ConversationTarget, ConversationView } from "./chat-state";
import type { ChatCore } from "./core";
import { isViewOf, needsCatchUp, targetOf } from "./chat-state";
import type { ChangesPage, ChatMessage, HistoryPage } from "@/lib/types";
import type { ChangesQuery, HistoryQuery } from "./ports";

export type { HistoryQuery };

// Bounds a catch-up after a long outage (see catchUpView).
const MAX_CATCH_UP_PAGES = 20;
/**
 * A live message past a gap waits this long for the missing one (pushes can overtake each
 * other) before a catch-up fetches it.
 */
export const GAP_WAIT_MS = 1_500;

/** How the history endpoint names a conversation: a group by id, a direct one by the peer (the 1:1 form). */
export function historyQuery(target: ConversationTarget, page: Omit<HistoryQuery, "with" | "conversation">): HistoryQuery {
  return target.kind === "group" ? { conversation: target.conversationId, ...page } : { with: target.peerId, ...page };
}

export interface CatchUpDeps {
  /** The open conversation as it is now (read again after every await). */
  getView(): ConversationView | null;
  fetchHistory(query: HistoryQuery): Promise<HistoryPage>;
  dispatch(action: ChatAction): void;
  /** Every message a page brought (e.g. to settle our own in the outbox). */
  onMessages?(messages: ChatMessage[]): void;
}

export interface CatchUpLimits {
  /** Size of an `after` page (the API's maximum). */
  pageSize: number;
  /** Size of the newest page (reset). */
  newestPageSize: number;
  /**
   * Past this many full pages, stop paging and reload the newest page instead: older messages
   * are then a scroll away, like any older page, and never is there a gap in the middle.
   */
  maxPages: number;
}

/**
 * Fetches everything after the open conversation's synced position, page by page, while a
 * full page comes back. Without a position (never loaded, or the first page failed) it loads
 * the newest page. Throws what the API throws; the caller retries on the next trigger.
 */
export async function catchUpView(deps: CatchUpDeps, limits: CatchUpLimits): Promise<void> {
  const view = deps.getView();
  if (!view || view.loading === "initial" || view.removed) return;
  const target = targetOf(view);

  const reloadNewest = async () => {
    const page = await deps.fetchHistory(historyQuery(target, { limit: limits.newestPageSize }));
    deps.dispatch({ type: "history/loaded", target, mode: "reset", messages: page.messages, hasOlder: page.nextBefore !== null });
    deps.onMessages?.(page.messages);
  };

  let after = view.synced?.id;
  if (!after) return reloadNewest();
  for (let pages = 0; pages < limits.maxPages; pages += 1) {
    if (!isViewOf(deps.getView(), target)) return;
    const page = await deps.fetchHistory(historyQuery(target, { after, limit: limits.pageSize }));
    deps.dispatch({ type: "history/loaded", target, mode: "after", messages: page.messages });
    deps.onMessages?.(page.messages);
    if (page.messages.length < limits.pageSize) return;
    after = page.messages.at(-1)!.id;
  }
  await reloadNewest();
}

// Bounds one pass; the next trigger goes on from where it stopped.
const MAX_CHANGE_PAGES = 50;

export interface ChangesCatchUpDeps {
  getView(): ConversationView | null;
  fetchChanges(query: ChangesQuery): Promise<ChangesPage>;
  dispatch(action: ChatAction): void;
}

/**
 * Fetches the open conversation's change stream after its cursor, page by page, and applies each
 * change once, in order (edits, deletions and reactions made while away, and any message missed).
 * Nothing while the cursor has no place yet (the first page is in flight, or the server has no stream).
 */
export async function catchUpChanges(deps: ChangesCatchUpDeps): Promise<void> {
  for (let pages = 0; pages < MAX_CHANGE_PAGES; pages += 1) {
    const view = deps.getView();
    if (!view || view.loading === "initial" || view.removed || view.pos === null) return;
    const target = targetOf(view);
    const where = view.conversationId ? { conversationId: view.conversationId } : target.kind === "direct" ? { with: target.peerId } : null;
    // A direct conversation that does not exist yet has no changes.
    if (!where) return;
    const page = await deps.fetchChanges({ ...where, after: view.pos, limit: CHANGES_MAX_LIMIT });
    if (!isViewOf(deps.getView(), target)) return;
    deps.dispatch({ type: "changes/loaded", target, changes: page.changes, lastPos: page.nextAfter === null ? page.lastPos : null });
    if (page.nextAfter === null) return;
  }
}

export interface CatchUp {
  /**
   * Fetches what the open conversation misses. One at a time: a call during one runs another
   * right after it. Resolves true when the last pass completed without an error.
   */
  run(): Promise<boolean>;
  /** Anything after which we may have missed messages: catch up, reload the list, send what waits. */
  resync(): Promise<boolean>;
  /** Bumped on every resync, so a first page that raced one can catch up afterwards. */
  resyncs(): number;
  start(): () => void;
}

/**
 * Catch-up: on every (re)connect, when the page resumes (online, shown again, woke from sleep),
 * and when a live message arrives past a gap that does not fill itself within GAP_WAIT_MS.
 */
export function createCatchUp(core: ChatCore): CatchUp {
  const { api, clock, page } = core.deps;
  let resyncs = 0;
  let running: Promise<boolean> | null = null;
  let again = false;

  const once = async () => {
    await catchUpView(
      {
        getView: () => core.getState().view,
        fetchHistory: (query) => api.fetchHistory(query),
        dispatch: core.dispatch,
        onMessages: core.confirmOwn,
      },
      { pageSize: HISTORY_MAX_LIMIT, newestPageSize: HISTORY_DEFAULT_LIMIT, maxPages: MAX_CATCH_UP_PAGES },
    );
    // Then what changed meanwhile (edits, deletions, reactions), from the change stream.
    await catchUpChanges({
      getView: () => core.getState().view,
      fetchChanges: (query) => api.fetchChanges(query),
      dispatch: core.dispatch,
    });
  };

  function run(): Promise<boolean> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let complete = false;
      do {
        again = false;
        try {
          await once();
          complete = true;
        } catch (error) {
          // The next reconnect, resume or gap tries again; live messages keep flowing meanwhile.
          if (isUnauthorized(error)) core.endSession();
          // A group we were removed from while the push was lost: the server says so now.
          const view = core.getState().view;
          if (isConversationGone(error) && view?.kind === "group" && view.conversationId) {
            core.dispatch({ type: "conversation/left", conversationId: view.conversationId });
          }
          complete = false;
        }
      } while (again);
      return complete;
    })().finally(() => {
      running = null;
    });
    return running;
  }

  async function resync(): Promise<boolean> {
    resyncs += 1;
    void core.outbox()?.flush({ resetBackoff: true });
    const [listed, caughtUp] = await Promise.all([core.loadConversations(), run()]);
    return listed && caughtUp;
  }

  return {
    run,
    resync,
    resyncs: () => resyncs,
    start() {
      let gapTimer: unknown = null;
      const watchGap = () => {
        const view = core.getState().view;
        if (gapTimer !== null || !view || !needsCatchUp(view)) return;
        gapTimer = clock.setTimeout(() => {
          gapTimer = null;
          const current = core.getState().view;
          if (current && needsCatchUp(current)) void run();
        }, GAP_WAIT_MS);
      };
      const stops = [
        core.on("connect", () => void resync()),
        page.onResume(() => {
          core.connection()?.reconnectNow();
          void resync();
        }),
        core.watch(watchGap),
      ];
      return () => {
        for (const stop of stops) stop();
        if (gapTimer !== null) clock.clearTimeout(gapTimer);
        gapTimer = null;
      };
    },
  };
}
