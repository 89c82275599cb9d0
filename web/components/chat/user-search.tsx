import { useEffect, useState, type ReactNode, type RefObject } from "react";
import type { UserProfile } from "@/lib/types";
import { apiFetch } from "@/lib/client/api";
import { Avatar } from "./avatar";
import { displayName } from "./format";

const DEBOUNCE_MS = 200;

/** The answer for one query; an answer for another query than the current one is stale. */
type SearchResult = { query: string } & ({ status: "done"; users: UserProfile[] } | { status: "error"; message: string });

interface UserSearchProps {
  onSelect(user: UserProfile): void;
  /** Shown while the search box is empty (the conversation list). */
  children: ReactNode;
  inputRef?: RefObject<HTMLInputElement | null>;
}

/**
 * Finds people: anyone by their exact email address, people one has talked to also by email
 * prefix (the server decides); picking one opens (or starts) the conversation.
 */
export function UserSearch({ onSelect, children, inputRef }: UserSearchProps) {
  const [query, setQuery] = useState("");
  const [answer, setAnswer] = useState<SearchResult | null>(null);
  const trimmed = query.trim();
  const result = answer?.query === trimmed ? answer : null;

  useEffect(() => {
    if (!trimmed) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      apiFetch<UserProfile[]>("/api/users", { query: { q: trimmed }, signal: controller.signal }).then(
        (users) => setAnswer({ query: trimmed, status: "done", users }),
        (error: unknown) => {
          if (controller.signal.aborted) return;
          setAnswer({ query: trimmed, status: "error", message: error instanceof Error ? error.message : "Search failed." });
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [trimmed]);

  const select = (user: UserProfile) => {
    setQuery("");
    onSelect(user);
  };

  return (
    <>
      <div className="user-search" role="search">
        <label htmlFor="user-search-input" className="sr-only">
          Find people by email
        </label>
        <input
          ref={inputRef}
          id="user-search-input"
          type="search"
          className="input"
          data-testid="user-search"
          placeholder="Find people by email…"
          autoComplete="off"
          spellCheck={false}
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === "Escape") setQuery("");
          }}
        />
      </div>
      {trimmed ? (
        <section className="search-results" aria-label="People" aria-busy={!result}>
          {!result ? (
            <p className="sidebar-empty" role="status">
              <span className="spinner" aria-hidden="true" /> Searching…
            </p>
          ) : result.status === "error" ? (
            <p className="sidebar-empty" role="alert">
              Search failed: {result.message}
            </p>
          ) : result.users.length === 0 ? (
            <p className="sidebar-empty" role="status">
              No one found for “{trimmed}”. Type a person’s full email address to find them; people you have talked to are also found by the
              start of their email. People appear once they have signed in.
            </p>
          ) : (
            <ul className="conversation-list">
              {result.users.map((user) => (
                <li key={user.id}>
                  <button
                    type="button"
                    className="conversation-item"
                    data-testid="user-result"
                    data-user-id={user.id}
                    data-email={user.email}
                    onClick={() => select(user)}
                  >
                    <Avatar user={user} />
                    <span className="conversation-text">
                      <span className="conversation-name">{displayName(user)}</span>
                      <span className="conversation-preview">{user.email}</span>
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      ) : (
        children
      )}
    </>
  );
}
