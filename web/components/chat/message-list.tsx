import { useLayoutEffect, useRef } from "react";
import type { ChatMessage, UserProfile } from "@/lib/types";
import type { OutboxItem } from "@/lib/chat/chat-state";
import { dayKey, displayName, formatDay, formatTime } from "./format";

// Closer than this to the bottom counts as "reading the latest": new messages keep it pinned.
const STICK_THRESHOLD_PX = 80;
// Closer than this to the top loads the previous page.
const LOAD_OLDER_THRESHOLD_PX = 120;
// Messages from one sender this close together form a group that shows its time once, at the end.
const GROUP_GAP_MS = 5 * 60_000;

type Row =
  | { kind: "day"; key: string; label: string }
  | {
      kind: "message";
      key: string;
      clientId: string;
      id?: string;
      mine: boolean;
      content: string;
      createdAt: string;
      status: "sent" | "pending" | "failed";
      error?: string;
      /** Failed attempts of a pending message (it is being retried). */
      attempts: number;
      /** Follows a message of the same group. */
      continued: boolean;
      /** Last of its group (or not sent yet): shows time and status. */
      showMeta: boolean;
    };

function buildRows(me: string, messages: ChatMessage[], pending: OutboxItem[]): Row[] {
  // The outbox copy may lag the confirmation by a moment (another tab): one bubble per clientId.
  const confirmed = new Set(messages.filter((m) => m.senderId === me).map((m) => m.clientId));
  const all = [
    ...messages.map((m) => ({ ...m, status: "sent" as const, error: undefined, attempts: 0 })),
    ...pending.filter((p) => !confirmed.has(p.clientId)).map((p) => ({ ...p, id: undefined, senderId: me })),
  ];
  const rows: Row[] = [];
  let lastDay = "";
  let last: (Row & { kind: "message" }) | null = null;
  let lastSender = "";
  for (const message of all) {
    const day = dayKey(message.createdAt);
    if (day !== lastDay) {
      rows.push({ kind: "day", key: `day-${day}`, label: formatDay(message.createdAt) });
      lastDay = day;
      last = null;
    }
    const continued: boolean =
      last !== null && lastSender === message.senderId && Date.parse(message.createdAt) - Date.parse(last.createdAt) < GROUP_GAP_MS;
    // A sent message followed by more of its group leaves the time to the last one.
    if (continued && last?.status === "sent") last.showMeta = false;
    const row: Row & { kind: "message" } = {
      kind: "message",
      // Keyed by sender + clientId, so a pending bubble stays the same element once confirmed.
      key: `${message.senderId}:${message.clientId}`,
      clientId: message.clientId,
      id: message.id,
      mine: message.senderId === me,
      content: message.content,
      createdAt: message.createdAt,
      status: message.status,
      error: message.error,
      attempts: message.attempts,
      continued,
      showMeta: true,
    };
    rows.push(row);
    last = row;
    lastSender = message.senderId;
  }
  return rows;
}

interface MessageListProps {
  me: string;
  peer: UserProfile;
  messages: ChatMessage[];
  pending: OutboxItem[];
  hasOlder: boolean;
  loading: "initial" | "older" | null;
  error: string | null;
  /** My message that shows "Seen" (see seenMessageId), if any. */
  seenId: string | null;
  onLoadOlder(): void;
  /** The first page failed: load it again. */
  onReload(): void;
  onRetry(clientId: string): void;
  onDiscard(clientId: string): void;
}

const SKELETON_BUBBLES = [
  { mine: false, width: "42%" },
  { mine: false, width: "28%" },
  { mine: true, width: "36%" },
  { mine: false, width: "52%" },
  { mine: true, width: "24%" },
];

export function MessageList(props: MessageListProps) {
  const { me, peer, messages, pending, hasOlder, loading, error, seenId, onLoadOlder, onReload, onRetry, onDiscard } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const previous = useRef<{ firstId?: string; height: number; pending: number }>({ height: 0, pending: 0 });

  const rows = buildRows(me, messages, pending);
  const name = displayName(peer);

  // IMPORTANT: runs before paint, so prepending older messages never makes the view jump.
  useLayoutEffect(() => {
    const element = scrollRef.current;
    if (!element) return;
    const before = previous.current;
    const firstId = messages[0]?.id;
    const prepended = before.firstId !== undefined && firstId !== before.firstId && messages.some((m) => m.id === before.firstId);
    if (pending.length > before.pending) stickToBottom.current = true; // we just sent something
    if (prepended && !stickToBottom.current) {
      element.scrollTop += element.scrollHeight - before.height;
    } else if (stickToBottom.current) {
      element.scrollTop = element.scrollHeight;
    }
    previous.current = { firstId, height: element.scrollHeight, pending: pending.length };
  }, [messages, pending, seenId, loading]);

  const onScroll = () => {
    const element = scrollRef.current;
    if (!element) return;
    stickToBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < STICK_THRESHOLD_PX;
    if (element.scrollTop < LOAD_OLDER_THRESHOLD_PX && hasOlder && !loading) onLoadOlder();
  };

  return (
    // Focusable, so keyboard users can scroll the history with the arrow keys.
    <div className="message-scroll" ref={scrollRef} onScroll={onScroll} tabIndex={0} role="region" aria-label={`Conversation with ${name}`}>
      <div className="message-history-edge">
        {hasOlder ? (
          <button type="button" className="button button-quiet" onClick={onLoadOlder} disabled={loading === "older"}>
            {loading === "older" ? (
              <>
                <span className="spinner" aria-hidden="true" /> Loading…
              </>
            ) : (
              "Load earlier messages"
            )}
          </button>
        ) : loading === "initial" ? (
          <span className="sr-only" role="status">
            Loading messages…
          </span>
        ) : rows.length === 0 && !error ? (
          <div className="conversation-start" data-testid="conversation-start">
            <p>
              This is the start of your conversation with <strong>{name}</strong>.
            </p>
            <p className="muted">Say hello!</p>
          </div>
        ) : null}
        {error ? (
          <div className="history-error" role="alert" data-testid="history-error">
            <span>Could not load messages: {error}</span>
            <button type="button" className="button" onClick={hasOlder ? onLoadOlder : onReload}>
              Try again
            </button>
          </div>
        ) : null}
      </div>
      {loading === "initial" && rows.length === 0 ? (
        <div className="message-list" aria-hidden="true" data-testid="messages-loading">
          {SKELETON_BUBBLES.map((bubble, index) => (
            <div key={index} className="message" data-mine={bubble.mine}>
              <span className="skeleton skeleton-bubble" style={{ width: bubble.width }} />
            </div>
          ))}
        </div>
      ) : null}
      <div className="message-list" role="log" aria-live="polite" aria-label={`Messages with ${name}`} data-testid="message-list">
        {rows.map((row) =>
          row.kind === "day" ? (
            <div key={row.key} className="day-divider">
              <span>{row.label}</span>
            </div>
          ) : (
            <div
              key={row.key}
              className="message"
              data-testid="message"
              data-client-id={row.clientId}
              data-message-id={row.id}
              data-status={row.status}
              data-mine={row.mine}
              data-continued={row.continued || undefined}
            >
              <span className="sr-only">{row.mine ? "You" : name}: </span>
              {/* Text as React children: escaped, never parsed as HTML. */}
              <div className="bubble" data-testid="message-content">
                {row.content}
              </div>
              <div className="message-meta" hidden={!row.showMeta && row.id !== seenId}>
                <time dateTime={row.createdAt}>{formatTime(row.createdAt)}</time>
                {row.id !== undefined && row.id === seenId ? (
                  <>
                    {" · "}
                    <span className="message-receipt" data-testid="seen-marker">
                      Seen
                    </span>
                  </>
                ) : null}
                {row.status === "pending" && row.attempts === 0 ? <span> · Sending…</span> : null}
                {row.status === "pending" && row.attempts > 0 ? (
                  <span className="message-waiting" title={row.error}>
                    {" · "}Not sent yet, retrying…
                    <button type="button" className="link-button" data-testid="retry" onClick={() => onRetry(row.clientId)}>
                      Retry now
                    </button>
                    <button type="button" className="link-button" data-testid="discard" onClick={() => onDiscard(row.clientId)}>
                      Discard
                    </button>
                  </span>
                ) : null}
                {row.status === "failed" ? (
                  <span className="message-failed" role="alert">
                    {" · "}Failed{row.error ? `: ${row.error}` : ""}
                    <button type="button" className="link-button" data-testid="retry" onClick={() => onRetry(row.clientId)}>
                      Retry
                    </button>
                    <button type="button" className="link-button" data-testid="discard" onClick={() => onDiscard(row.clientId)}>
                      Discard
                    </button>
                  </span>
                ) : null}
              </div>
            </div>
          ),
        )}
      </div>
    </div>
  );
}
