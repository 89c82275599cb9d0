"use client";

import { useEffect, useId, useRef, useState, type FocusEvent, type KeyboardEvent } from "react";
import type { ConversationSummary, SearchPage, SearchResult, UserProfile } from "@/lib/types";
import { apiFetch } from "@/lib/client/api";
import { SEARCH_QUERY_MAX } from "@/lib/limits";
import { Button } from "@/components/ui/button";
import { SearchIcon } from "@/components/ui/icons";
import { inputVariants } from "@/components/ui/input";
import { Spinner } from "@/components/ui/spinner";
import { cn } from "@/lib/utils";
import { conversationTitle, formatDay, formatTime, nameOf } from "./format";
import { HighlightedText } from "./message-content";

// Typing pauses this long before a search is sent.
const DEBOUNCE_MS = 250;

interface MessageSearchProps {
  me: string;
  conversations: ConversationSummary[];
  people: Record<string, UserProfile>;
  /** A result was picked: open its conversation at that message. */
  onSelect(result: SearchResult): void;
}

type Status = { kind: "idle" } | { kind: "loading"; more: boolean } | { kind: "error"; message: string };

/**
 * "Search messages" in the app bar: full-text search over my conversations, results below the
 * box with the matches in <mark>; picking one opens the conversation at that message.
 */
export function MessageSearch({ me, conversations, people, onSelect }: MessageSearchProps) {
  const [query, setQuery] = useState("");
  const [open, setOpen] = useState(false);
  const [page, setPage] = useState<SearchPage | null>(null);
  const [status, setStatus] = useState<Status>({ kind: "idle" });
  const request = useRef<AbortController | null>(null);
  const listId = useId();
  const trimmed = query.trim();

  const run = (q: string, cursor?: string) => {
    request.current?.abort();
    const controller = new AbortController();
    request.current = controller;
    setStatus({ kind: "loading", more: cursor !== undefined });
    apiFetch<SearchPage>("/api/chat/search", { query: { q, cursor }, signal: controller.signal }).then(
      (next) => {
        if (controller.signal.aborted) return;
        setPage((previous) => (cursor && previous ? { results: [...previous.results, ...next.results], next: next.next } : next));
        setStatus({ kind: "idle" });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setStatus({ kind: "error", message: error instanceof Error ? error.message : "Search failed." });
      },
    );
  };

  useEffect(() => {
    if (!trimmed) return;
    const timer = setTimeout(() => run(trimmed), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [trimmed]);

  useEffect(() => () => request.current?.abort(), []);

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "Escape") setOpen(false);
    if (event.key === "Enter" && trimmed) {
      event.preventDefault();
      setOpen(true);
      run(trimmed);
    }
  };
  // Leaving the box and its results (Tab, a click elsewhere) closes them.
  const onBlur = (event: FocusEvent<HTMLDivElement>) => {
    if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setOpen(false);
  };

  const byId = new Map(conversations.map((conversation) => [conversation.id, conversation]));
  const showPanel = open && trimmed.length > 0;

  return (
    <div className="relative min-w-0 phone:flex-1" role="search" onBlur={onBlur} data-testid="message-search">
      <label className="relative block">
        <span className="sr-only">Search messages</span>
        <SearchIcon className="pointer-events-none absolute top-1/2 left-[0.6rem] size-4 -translate-y-1/2 text-muted-foreground" />
        <input
          type="search"
          className={cn(inputVariants({ box: "none" }), "w-56 py-[0.4rem] pr-3 pl-8 text-sm phone:w-full")}
          placeholder="Search messages"
          value={query}
          maxLength={SEARCH_QUERY_MAX}
          // Only while the results exist: axe refuses a reference to a missing element.
          aria-controls={showPanel ? listId : undefined}
          onChange={(event) => {
            setQuery(event.target.value);
            setOpen(true);
            if (!event.target.value.trim()) {
              request.current?.abort();
              setPage(null);
              setStatus({ kind: "idle" });
            }
          }}
          onFocus={() => setOpen(true)}
          onKeyDown={onKeyDown}
          data-testid="message-search-input"
        />
      </label>
      {showPanel ? (
        <div
          id={listId}
          className="absolute top-full right-0 z-30 mt-2 max-h-[70vh] w-[min(28rem,calc(100vw-1.5rem))] overflow-y-auto rounded-xl border border-border bg-card p-1 shadow-elevation"
          data-testid="message-search-results"
        >
          {page && page.results.length > 0 ? (
            <ul aria-label="Messages found">
              {page.results.map((result) => {
                const conversation = byId.get(result.message.conversationId);
                const sender = result.message.senderId === me ? "You" : nameOf(people, result.message.senderId);
                return (
                  <li key={result.message.id}>
                    <button
                      type="button"
                      className="w-full rounded-lg px-3 py-2 text-left hover:bg-hover focus-visible:bg-hover focus-visible:outline-none"
                      onClick={() => {
                        setOpen(false);
                        onSelect(result);
                      }}
                      data-testid="message-search-result"
                      data-message-id={result.message.id}
                    >
                      <span className="flex items-baseline gap-2 text-xs text-muted-foreground">
                        <span className="truncate font-semibold text-foreground">
                          {conversation ? conversationTitle(conversation) : "Conversation"}
                        </span>
                        <span className="ml-auto flex-none">
                          {formatDay(result.message.createdAt)} {formatTime(result.message.createdAt)}
                        </span>
                      </span>
                      <span className="mt-[0.15rem] line-clamp-3 text-sm break-words whitespace-pre-wrap">
                        <span className="text-muted-foreground">{sender}: </span>
                        <HighlightedText highlight={result.highlight} />
                      </span>
                    </button>
                  </li>
                );
              })}
            </ul>
          ) : null}
          <div className="px-3 py-2 text-sm text-muted-foreground" role="status">
            {status.kind === "loading" ? (
              <span className="flex items-center gap-2">
                <Spinner /> Searching…
              </span>
            ) : status.kind === "error" ? (
              <span className="text-destructive">Could not search: {status.message}</span>
            ) : page && page.results.length === 0 ? (
              "No messages found."
            ) : null}
          </div>
          {page?.next && status.kind !== "loading" ? (
            <Button variant="ghost" className="w-full" onClick={() => run(trimmed, page.next ?? undefined)}>
              More results
            </Button>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
