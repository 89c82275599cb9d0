import type { SearchPage } from "@/lib/types";
import { encodeSearchCursor, type SearchQuery } from "@/lib/validations/search";
import type { ChatDeps } from "./index";

/**
 * Full-text search over the user's own conversations (or one of them), best first, a page at a
 * time: `next` is the cursor after the last result, null on the last page. Row level security
 * keeps strangers' messages out; deleted messages never match.
 */
export async function searchMessages(
  { store, limits }: Pick<ChatDeps, "store" | "limits">,
  userId: string,
  query: SearchQuery,
): Promise<SearchPage> {
  await limits.consume("messageSearch", userId);
  // One more than asked tells whether another page exists.
  const hits = await store.searchMessages(userId, {
    query: query.q,
    conversationId: query.conversationId,
    limit: query.limit + 1,
    after: query.cursor,
  });
  const page = hits.slice(0, query.limit);
  const last = page.at(-1);
  return { results: page.map((hit) => hit.result), next: hits.length > query.limit && last ? encodeSearchCursor(last.cursor) : null };
}
