"use client";

import { useCallback, useEffect, useState } from "react";
import { ApiError, apiFetch } from "@/lib/client/api";

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
    <section className="mailbox" aria-label="Mail">
      <form
        className="mailbox-toolbar"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          void load(filter);
        }}
      >
        <label htmlFor="mailbox-email" className="field-label">
          Recipient
        </label>
        <input
          id="mailbox-email"
          type="search"
          className="input"
          data-testid="mailbox-filter"
          placeholder="All recipients"
          autoComplete="off"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
        <button type="submit" className="button">
          Refresh
        </button>
      </form>

      {state.status === "loading" ? <p className="muted">Loading…</p> : null}
      {state.status === "disabled" ? (
        <p className="banner banner-error" role="alert">
          The dev mailbox is turned off on this server (it is disabled in production).
        </p>
      ) : null}
      {state.status === "error" ? (
        <p className="banner banner-error" role="alert">
          {state.message}
        </p>
      ) : null}
      {state.status === "ready" && state.mails.length === 0 ? (
        <p className="muted">No mail{filter ? ` for ${filter}` : ""} yet. Ask for a sign-in link on the login page.</p>
      ) : null}
      {state.status === "ready" && state.mails.length > 0 ? (
        <ul className="mail-list">
          {state.mails.map((mail) => {
            const href = safeHref(mail.link);
            return (
              <li key={`${mail.sentAt}-${mail.to}-${mail.link}`} className="mail-item" data-testid="mail-item">
                <div className="mail-top">
                  <span className="mail-to">{mail.to}</span>
                  <time dateTime={mail.sentAt}>{new Date(mail.sentAt).toLocaleString()}</time>
                </div>
                <p className="mail-subject">{mail.subject}</p>
                {href ? (
                  <a className="mail-link" data-testid="mail-link" href={href}>
                    {href}
                  </a>
                ) : (
                  <code className="mail-link">{mail.link}</code>
                )}
              </li>
            );
          })}
        </ul>
      ) : null}
    </section>
  );
}
