import { useEffect, useState } from "react";
import type { UserProfile } from "@/lib/types";
import { apiFetch } from "@/lib/client/api";
import { UserAvatar } from "./avatar";
import { itemClassName, previewClassName } from "./conversation-list";
import { displayName } from "./format";
import { SearchStatus } from "./user-search";

const DEBOUNCE_MS = 200;

/** The answer for one query; an answer for another query than the current one is stale. */
type SearchResult = { query: string } & ({ status: "done"; users: UserProfile[] } | { status: "error"; message: string });

/** The people found for a query (loaded on demand by UserSearch). */
export default function UserSearchResults({ query, onSelect }: { query: string; onSelect(user: UserProfile): void }) {
  const [answer, setAnswer] = useState<SearchResult | null>(null);
  const result = answer?.query === query ? answer : null;

  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      apiFetch<UserProfile[]>("/api/users", { query: { q: query }, signal: controller.signal }).then(
        (users) => setAnswer({ query, status: "done", users }),
        (error: unknown) => {
          if (controller.signal.aborted) return;
          setAnswer({ query, status: "error", message: error instanceof Error ? error.message : "Search failed." });
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [query]);

  if (!result) return <SearchStatus searching />;
  const empty = "px-4 py-5 text-sm text-muted-foreground";
  return (
    <SearchStatus>
      {result.status === "error" ? (
        <p className={empty} role="alert">
          Search failed: {result.message}
        </p>
      ) : result.users.length === 0 ? (
        <p className={empty} role="status">
          No one found for “{query}”. Type a person’s full email address to find them; people you have talked to are also found by the start
          of their email. People appear once they have signed in.
        </p>
      ) : (
        <ul className="p-[0.4rem]">
          {result.users.map((user) => (
            <li key={user.id}>
              <button
                type="button"
                className={itemClassName}
                data-testid="user-result"
                data-user-id={user.id}
                data-email={user.email}
                onClick={() => onSelect(user)}
              >
                <UserAvatar user={user} />
                <span className="flex min-w-0 flex-1 flex-col gap-[0.1rem]">
                  <span className="min-w-0 truncate font-semibold">{displayName(user)}</span>
                  <span className={previewClassName}>{user.email}</span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </SearchStatus>
  );
}
