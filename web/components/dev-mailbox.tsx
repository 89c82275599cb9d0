"use client";

import { useCallback, useEffect, useState } from "react";
import { ApiError, apiFetch } from "@/lib/client/api";
import { Banner } from "@/components/banner";
import { Button } from "@/components/ui/button";
import { Input, Label } from "@/components/ui/input";

interface Mail {
  to: string;
  subject: string;
  link: string;
  sentAt: string;
}

type MailboxState =
  { status: "loading" } | { status: "ready"; mails: Mail[] } | { status: "disabled" } | { status: "error"; message: string };

const POLL_MS = 3_000;

/** Only http(s) links become clickable: the mailbox shows whatever the server stored. */
function safeHref(link: string): string | undefined {
  try {
    const url = new URL(link, window.location.origin);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

export function DevMailbox({ initialEmail }: { initialEmail: string }) {
  const [email, setEmail] = useState(initialEmail);
  const [state, setState] = useState<MailboxState>({ status: "loading" });
  const filter = email.trim();

  const load = useCallback(async (address: string, signal?: AbortSignal) => {
    try {
      const mails = await apiFetch<Mail[]>("/api/dev/mailbox", { query: { email: address || undefined }, signal });
      setState({ status: "ready", mails });
    } catch (error) {
      if (signal?.aborted) return;
      if (error instanceof ApiError && error.status === 404) setState({ status: "disabled" });
      else setState({ status: "error", message: error instanceof Error ? error.message : "Could not load the mailbox." });
    }
  }, []);

  // Reload when the filter changes, then poll so new mail shows up on its own.
  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(() => void load(filter, controller.signal), 150);
    const poll = setInterval(() => {
      if (document.visibilityState === "visible") void load(filter, controller.signal);
    }, POLL_MS);
    return () => {
      controller.abort();
      clearTimeout(timer);
      clearInterval(poll);
    };
  }, [filter, load]);

  // Keep ?email= in the address bar so a filtered view can be bookmarked.
  useEffect(() => {
    const url = new URL(window.location.href);
    if (filter) url.searchParams.set("email", filter);
    else url.searchParams.delete("email");
    window.history.replaceState(null, "", url);
  }, [filter]);

  return (
    <section className="mt-7 flex flex-col gap-4" aria-label="Mail">
      <form
        className="flex items-center gap-[0.6rem]"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          void load(filter);
        }}
      >
        <Label htmlFor="mailbox-email" spacing="none">
          Recipient
        </Label>
        <Input
          id="mailbox-email"
          type="search"
          data-testid="mailbox-filter"
          placeholder="All recipients"
          autoComplete="off"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
        <Button type="submit">Refresh</Button>
      </form>

      {state.status === "loading" ? <p className="text-muted-foreground">Loading…</p> : null}
      {state.status === "disabled" ? (
        <Banner variant="error" className="rounded-lg" role="alert">
          The dev mailbox is turned off on this server (it is disabled in production).
        </Banner>
      ) : null}
      {state.status === "error" ? (
        <Banner variant="error" className="rounded-lg" role="alert">
          {state.message}
        </Banner>
      ) : null}
      {state.status === "ready" && state.mails.length === 0 ? (
        <p className="text-muted-foreground">No mail{filter ? ` for ${filter}` : ""} yet. Ask for a sign-in link on the login page.</p>
      ) : null}
      {state.status === "ready" && state.mails.length > 0 ? (
        <ul className="flex flex-col gap-3">
          {state.mails.map((mail) => {
            const href = safeHref(mail.link);
            return (
              <li
                key={`${mail.sentAt}-${mail.to}-${mail.link}`}
                className="rounded-xl border border-border bg-card px-[1.1rem] py-4 shadow-elevation"
                data-testid="mail-item"
              >
                <div className="flex justify-between gap-4 text-[0.85rem] text-muted-foreground">
                  <span className="font-semibold wrap-anywhere text-foreground">{mail.to}</span>
                  <time dateTime={mail.sentAt}>{new Date(mail.sentAt).toLocaleString()}</time>
                </div>
                <p className="mt-1 mb-2 font-semibold">{mail.subject}</p>
                {href ? (
                  <a className="block font-mono text-[0.8rem] wrap-anywhere" data-testid="mail-link" href={href}>
                    {href}
                  </a>
                ) : (
                  <code className="block font-mono text-[0.8rem] wrap-anywhere">{mail.link}</code>
                )}
              </li>
            );
          })}
        </ul>
      ) : null}
    </section>
  );
}
