import type { ChatMessage, HistoryPage } from "@/lib/types";
import type { ChatAction, ConversationView } from "./chat-state";

export interface HistoryQuery {
  with: string;
  limit: number;
  before?: string;
  after?: string;
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
  if (!view || view.loading === "initial") return;
  const peerId = view.peer.id;

  const reloadNewest = async () => {
    const page = await deps.fetchHistory({ with: peerId, limit: limits.newestPageSize });
    deps.dispatch({ type: "history/loaded", peerId, mode: "reset", messages: page.messages, hasOlder: page.nextBefore !== null });
    deps.onMessages?.(page.messages);
  };

  let after = view.synced?.id;
  if (!after) return reloadNewest();
  for (let pages = 0; pages < limits.maxPages; pages += 1) {
    if (deps.getView()?.peer.id !== peerId) return;
    const page = await deps.fetchHistory({ with: peerId, after, limit: limits.pageSize });
    deps.dispatch({ type: "history/loaded", peerId, mode: "after", messages: page.messages });
    deps.onMessages?.(page.messages);
    if (page.messages.length < limits.pageSize) return;
    after = page.messages.at(-1)!.id;
  }
  await reloadNewest();
}
