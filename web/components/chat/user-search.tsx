import { lazy, Suspense, useState, type ReactNode, type RefObject } from "react";
import type { UserProfile } from "@/lib/types";
import { SearchIcon } from "@/components/ui/icons";
import { Input } from "@/components/ui/input";
import { Spinner } from "@/components/ui/spinner";

// Not needed until someone types: fetched when the box gets focus.
const loadResults = () => import("./user-search-results");
const UserSearchResults = lazy(loadResults);

interface UserSearchProps {
  onSelect(user: UserProfile): void;
  /** Shown while the search box is empty (the conversation list). */
  children: ReactNode;
  inputRef?: RefObject<HTMLInputElement | null>;
}

/**
 * Finds people: anyone by their exact email address, people one has talked to also by email
 * prefix (the server decides); picking one opens (or starts) the conversation.
 * Same height as the conversation header, so their bottom borders line up.
 */
export function UserSearch({ onSelect, children, inputRef }: UserSearchProps) {
  const [query, setQuery] = useState("");
  const trimmed = query.trim();

  return (
    <>
      <div className="relative flex h-[4.25rem] flex-none items-center border-b border-border px-3" role="search">
        <label htmlFor="user-search-input" className="sr-only">
          Find people by email
        </label>
        <SearchIcon className="pointer-events-none absolute left-6 text-[#808794]" />
        <Input
          ref={inputRef}
          id="user-search-input"
          type="search"
          variant="filled"
          className="rounded-full pl-9"
          data-testid="user-search"
          placeholder="Find people by email…"
          autoComplete="off"
          spellCheck={false}
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          onFocus={() => void loadResults()}
          onKeyDown={(event) => {
            if (event.key === "Escape") setQuery("");
          }}
        />
      </div>
      {trimmed ? (
        <Suspense fallback={<SearchStatus searching />}>
          <UserSearchResults
            query={trimmed}
            onSelect={(user) => {
              setQuery("");
              onSelect(user);
            }}
          />
        </Suspense>
      ) : (
        children
      )}
    </>
  );
}

export function SearchStatus({ searching, children }: { searching?: boolean; children?: ReactNode }) {
  return (
    <section className="flex-1 overflow-y-auto" aria-label="People" aria-busy={searching || undefined}>
      {searching ? (
        <p className="px-4 py-5 text-sm text-muted-foreground" role="status">
          <Spinner /> Searching…
        </p>
      ) : (
        children
      )}
    </section>
  );
}
