import { useEffect, useId, useState } from "react";
import type { UserProfile } from "@/lib/types";
import { apiFetch } from "@/lib/client/api";
import { CheckIcon, CloseIcon, SearchIcon } from "@/components/ui/icons";
import { Input, Label } from "@/components/ui/input";
import { Spinner } from "@/components/ui/spinner";
import { cn } from "@/lib/utils";
import { UserAvatar } from "./avatar";
import { rowClassName } from "./conversation-list";
import { displayName } from "./format";

const DEBOUNCE_MS = 200;

type SearchResult = { query: string } & ({ status: "done"; users: UserProfile[] } | { status: "error"; message: string });

interface PeoplePickerProps {
  /** Who is picked, in the order they were picked. */
  picked: UserProfile[];
  onChange(picked: UserProfile[]): void;
  /** Cannot be picked (me; a group's members): shown as such in the results. */
  excluded: Set<string>;
  excludedLabel?: string;
}

/**
 * Picks people for a group with the app's people search (`GET /api/users`: anyone by their
 * exact email, people one talks to also by the start of their email). Checkboxes, so the
 * keyboard and screen readers work as they do in any form; the picked ones show as removable chips.
 */
export function PeoplePicker({ picked, onChange, excluded, excludedLabel = "Already in" }: PeoplePickerProps) {
  const [query, setQuery] = useState("");
  const [answer, setAnswer] = useState<SearchResult | null>(null);
  const trimmed = query.trim();
  const result = answer?.query === trimmed ? answer : null;
  const inputId = useId();
  const hintId = useId();
  const pickedIds = new Set(picked.map((person) => person.id));

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

  const toggle = (person: UserProfile, on: boolean) =>
    onChange(on ? [...picked, person] : picked.filter((other) => other.id !== person.id));

  const statusLine = "px-2 py-3 text-sm";
  const status = `${statusLine} text-muted-foreground`;
  return (
    <div className="flex flex-col gap-2">
      <Label htmlFor={inputId} spacing="none">
        People
      </Label>
      {picked.length > 0 ? (
        <ul className="flex flex-wrap gap-[0.4rem]" aria-label="Picked people" data-testid="picked-people">
          {picked.map((person) => (
            <li
              key={person.id}
              className="inline-flex items-center gap-[0.35rem] rounded-full bg-muted py-[0.15rem] pr-[0.2rem] pl-[0.2rem] text-[0.8rem] font-semibold"
            >
              <UserAvatar user={person} size="none" className="size-5 text-[0.55rem]" />
              {displayName(person)}
              <button
                type="button"
                className="inline-grid size-5 place-items-center rounded-full text-muted-foreground hover:bg-hover hover:text-foreground"
                onClick={() => toggle(person, false)}
                aria-label={`Remove ${displayName(person)}`}
              >
                <CloseIcon className="size-3" />
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <div className="relative flex items-center">
        <SearchIcon className="pointer-events-none absolute left-3 text-[#808794]" />
        <Input
          id={inputId}
          type="search"
          className="pl-9"
          data-testid="people-picker-search"
          placeholder="Find people by email…"
          autoComplete="off"
          spellCheck={false}
          aria-describedby={hintId}
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          // Escape clears the box first; a second one closes the dialog.
          onKeyDown={(event) => {
            // The box sits in the dialog's form: Enter here searches, it does not submit.
            if (event.key === "Enter") event.preventDefault();
            if (event.key === "Escape" && query) {
              event.stopPropagation();
              setQuery("");
            }
          }}
        />
      </div>
      <p id={hintId} className="text-[0.8rem] text-muted-foreground">
        Anyone by their full email address; people you talk to also by the start of it.
      </p>
      {trimmed ? (
        <section
          aria-label="People found"
          aria-busy={!result || undefined}
          className="max-h-56 overflow-y-auto rounded-lg border border-border"
        >
          {!result ? (
            <p className={status} role="status">
              <Spinner /> Searching…
            </p>
          ) : result.status === "error" ? (
            <p className={cn(statusLine, "text-destructive")} role="alert">
              Search failed: {result.message}
            </p>
          ) : result.users.length === 0 ? (
            <p className={status} role="status">
              No one found for “{trimmed}”.
            </p>
          ) : (
            <ul className="p-1">
              {result.users.map((person) => {
                const inAlready = excluded.has(person.id);
                const checked = inAlready || pickedIds.has(person.id);
                return (
                  <li key={person.id}>
                    <label
                      className={cn(
                        rowClassName,
                        "cursor-pointer py-[0.45rem] hover:bg-hover has-disabled:cursor-default has-disabled:opacity-70",
                      )}
                      data-testid="picker-result"
                      data-email={person.email}
                    >
                      <input
                        type="checkbox"
                        className="peer sr-only"
                        checked={checked}
                        disabled={inAlready}
                        onChange={(event) => toggle(person, event.target.checked)}
                      />
                      <UserAvatar user={person} size="sm" />
                      <span className="flex min-w-0 flex-1 flex-col">
                        <span className="truncate text-sm font-semibold">{displayName(person)}</span>
                        <span className="truncate text-[0.8rem] text-muted-foreground">
                          {person.email}
                          {inAlready ? ` · ${excludedLabel}` : ""}
                        </span>
                      </span>
                      {/* The checkbox itself is visually hidden; this box shows its state and its focus. */}
                      <span
                        className="grid size-5 flex-none place-items-center rounded-md border border-border text-primary-foreground peer-checked:border-primary peer-checked:bg-primary peer-focus-visible:outline-2 peer-focus-visible:outline-offset-2 peer-focus-visible:outline-primary"
                        aria-hidden="true"
                      >
                        {checked ? <CheckIcon className="size-3.5" /> : null}
                      </span>
                    </label>
                  </li>
                );
              })}
            </ul>
          )}
        </section>
      ) : null}
    </div>
  );
}
