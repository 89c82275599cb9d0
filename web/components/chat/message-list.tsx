import { useEffect, useId, useLayoutEffect, useRef, useState } from "react";
import type { ReplyPreview, UserProfile } from "@/lib/types";
import type { ChatMessage, OutboxItem, UploadItem } from "@/lib/chat/chat-state";
import { cva } from "class-variance-authority";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { Spinner } from "@/components/ui/spinner";
import { cn } from "@/lib/utils";
import { AttachmentUploads } from "./attachment-uploads";
import { UserAvatar } from "./avatar";
import { MessageContent } from "./message-content";
import { MessageAttachments } from "./message-attachments";
import { dayKey, describeSystemMessage, formatDay, formatTime, listNames, nameOf } from "./format";
import { MessageActions } from "./message-actions";
import { MessageEditor } from "./message-editor";
import { MessageReactions } from "./message-reactions";
import { ReplyQuote } from "./reply-quote";

// Closer than this to the bottom counts as "reading the latest": new messages keep it pinned.
const STICK_THRESHOLD_PX = 80;
// Closer than this to the top loads the previous page.
const LOAD_OLDER_THRESHOLD_PX = 120;
// Messages from one sender this close together form a group that shows its time once, at the end.
const GROUP_GAP_MS = 5 * 60_000;

type Row =
  | { kind: "day"; key: string; label: string }
  /** A membership event or rename (groups): a centred line. */
  | { kind: "system"; key: string; id: string; text: string }
  | {
      kind: "message";
      key: string;
      clientId: string;
      id?: string;
      mine: boolean;
      senderId: string;
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
      /** The stored message (sent ones): edits, deletion, reactions, its reply. */
      message?: ChatMessage;
      /** What it replies to (a pending one: the held original, if any). */
      replyTo: ReplyPreview | null;
      /** A sent message's files. */
      attachments?: ChatMessage["attachments"];
      /** An unsent message's uploads (ids). */
      uploads?: string[];
    };

/** A pending reply quotes the original as held (the server fills `replyTo` once stored). */
function pendingReply(item: OutboxItem, messages: ChatMessage[]): ReplyPreview | null {
  const original = item.replyToId ? messages.find((m) => m.id === item.replyToId) : undefined;
  if (!original) return null;
  return { id: original.id, senderId: original.senderId, excerpt: original.content, attachmentCount: 0, deleted: !!original.deletedAt };
}

/** What a sent message offers (reply, react; edit and delete my own); absent: read-only (a group I left). */
export interface MessageListActions {
  onReply(messageId: string): void;
  onEdit(messageId: string, content: string): Promise<unknown>;
  onDelete(messageId: string): Promise<unknown>;
  onToggleReaction(messageId: string, emoji: string): Promise<unknown>;
}

function buildRows(me: string, messages: ChatMessage[], pending: OutboxItem[], people: Record<string, UserProfile>): Row[] {
  // The outbox copy may lag the confirmation by a moment (another tab): one bubble per clientId.
  const confirmed = new Set(messages.filter((m) => m.senderId === me).map((m) => m.clientId));
  const all = [
    ...messages.map((m) => ({ ...m, status: "sent" as const, error: undefined, attempts: 0, stored: m })),
    ...pending
      .filter((p) => !confirmed.has(p.clientId))
      .map((p) => ({ ...p, id: undefined, senderId: me, kind: "text" as const, stored: undefined, replyTo: pendingReply(p, messages) })),
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
    if (message.kind === "system") {
      rows.push({ kind: "system", key: message.id, id: message.id, text: describeSystemMessage(message, people, me) });
      // A run of one sender's messages ends at a system line.
      last = null;
      continue;
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
      senderId: message.senderId,
      content: message.content,
      createdAt: message.createdAt,
      status: message.status,
      error: message.error,
      attempts: message.attempts,
      continued,
      showMeta: true,
      message: message.stored,
      replyTo: message.replyTo ?? null,
      attachments: "attachments" in message ? message.attachments : undefined,
      uploads: "uploads" in message ? message.uploads : undefined,
    };
    rows.push(row);
    last = row;
    lastSender = message.senderId;
  }
  return rows;
}

interface MessageListProps {
  me: string;
  /** The peer's name, or the group's. */
  title: string;
  /** A group: others' messages carry their sender's name and avatar; "Seen by N" replaces "Seen". */
  group: boolean;
  /** Known profiles: senders' and system messages' names. */
  people: Record<string, UserProfile>;
  messages: ChatMessage[];
  pending: OutboxItem[];
  hasOlder: boolean;
  loading: "initial" | "older" | null;
  error: string | null;
  /** My message that shows "Seen" (see seenMessageId), if any. */
  seenId: string | null;
  /** Group: my newest message and who has read it (see seenBy). */
  seenBy: { messageId: string; userIds: string[] } | null;
  onLoadOlder(): void;
  /** The first page failed: load it again. */
  onReload(): void;
  onRetry(clientId: string): void;
  onDiscard(clientId: string): void;
  /** A message to scroll to and highlight (a search result), once it is held. */
  focusId?: string | null;
  actions?: MessageListActions;
  /** This tab's uploads (an unsent message's files); cancel or retry one. */
  uploads?: UploadItem[];
  onCancelUpload?(uploadId: string): void;
  onRetryUpload?(uploadId: string, file?: File): void;
}

const SKELETON_BUBBLES = [
  { mine: false, width: "42%" },
  { mine: false, width: "28%" },
  { mine: true, width: "36%" },
  { mine: false, width: "52%" },
  { mine: true, width: "24%" },
];

export function MessageList(props: MessageListProps) {
  const {
    me,
    title,
    group,
    people,
    messages,
    pending,
    hasOlder,
    loading,
    error,
    seenId,
    seenBy,
    onLoadOlder,
    onReload,
    onRetry,
    onDiscard,
    focusId = null,
    actions,
    uploads = [],
    onCancelUpload = () => {},
    onRetryUpload = () => {},
  } = props;
  const [editing, setEditing] = useState<string | null>(null);
  const byId = new Map(messages.map((message) => [message.id, message]));
  const scrollRef = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const previous = useRef<{ firstId?: string; height: number; pending: number }>({ height: 0, pending: 0 });

  const rows = buildRows(me, messages, pending, people);
  const name = title;
  const seenById = seenBy?.messageId ?? null;

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
  }, [messages, pending, seenId, seenById, loading]);

  // A search result: scrolled to once, when it is rendered; reading on from there is the user's.
  const focused = useRef<string | null>(null);
  useEffect(() => {
    const element = focusId ? scrollRef.current?.querySelector(`[data-message-id="${CSS.escape(focusId)}"]`) : null;
    if (!element || focused.current === focusId) return;
    focused.current = focusId;
    stickToBottom.current = false;
    element.scrollIntoView({ block: "center" });
  }, [focusId, messages]);

  const onScroll = () => {
    const element = scrollRef.current;
    if (!element) return;
    stickToBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < STICK_THRESHOLD_PX;
    if (element.scrollTop < LOAD_OLDER_THRESHOLD_PX && hasOlder && !loading) onLoadOlder();
  };

  /** A quote was clicked: bring its original into view, focus it, and flash it. */
  const jumpTo = (messageId: string) => {
    const element = scrollRef.current?.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(messageId)}"]`);
    if (!element) return;
    element.scrollIntoView({ block: "center", behavior: "smooth" });
    element.focus({ preventScroll: true });
    element.dataset.highlight = "";
    setTimeout(() => delete element.dataset.highlight, 1_500);
  };

  return (
    // Focusable, so keyboard users can scroll the history with the arrow keys.
    // overflow-anchor none: the scroll position is restored by hand when older messages are prepended.
    <div
      className="flex min-h-0 flex-1 flex-col overflow-y-auto px-6 pt-3 pb-10 [overflow-anchor:none] focus-visible:-outline-offset-2 phone:px-3 phone:pt-2"
      ref={scrollRef}
      onScroll={onScroll}
      tabIndex={0}
      role="region"
      aria-label={group ? `Conversation ${name}` : `Conversation with ${name}`}
    >
      {/* A new conversation: the greeting sits in the middle of the empty pane. */}
      <div className="flex min-h-8 flex-col items-center gap-2 py-2 text-center text-[0.85rem] has-data-conversation-start:my-auto">
        {hasOlder ? (
          <Button variant="ghost" onClick={onLoadOlder} disabled={loading === "older"}>
            {loading === "older" ? (
              <>
                <Spinner /> Loading…
              </>
            ) : (
              "Load earlier messages"
            )}
          </Button>
        ) : loading === "initial" ? (
          <span className="sr-only" role="status">
            Loading messages…
          </span>
        ) : rows.length === 0 && !error ? (
          <div
            className="rounded-xl border border-border bg-card px-[1.2rem] py-[0.9rem] text-foreground"
            data-testid="conversation-start"
            data-conversation-start
          >
            <p>
              This is the start of {group ? "the group" : "your conversation with"} <strong>{name}</strong>.
            </p>
            <p className="text-muted-foreground">Say hello!</p>
          </div>
        ) : null}
        {error ? (
          <div
            className="flex flex-wrap items-center justify-center gap-x-3 gap-y-2 rounded-lg bg-destructive-soft px-[0.9rem] py-[0.6rem] text-destructive"
            role="alert"
            data-testid="history-error"
          >
            <span>Could not load messages: {error}</span>
            <Button onClick={hasOlder ? onLoadOlder : onReload}>Try again</Button>
          </div>
        ) : null}
      </div>
      {loading === "initial" && rows.length === 0 ? (
        <div className={listClassName} aria-hidden="true" data-testid="messages-loading">
          {SKELETON_BUBBLES.map((bubble, index) => (
            <div key={index} className={cn(messageVariants({ mine: bubble.mine }), "w-full")}>
              <Skeleton className="h-[2.3rem] min-w-24 rounded-bubble" style={{ width: bubble.width }} />
            </div>
          ))}
        </div>
      ) : null}
      <div
        className={listClassName}
        role="log"
        aria-live="polite"
        aria-label={group ? `Messages in ${name}` : `Messages with ${name}`}
        data-testid="message-list"
      >
        {rows.map((row) =>
          row.kind === "day" ? (
            <div
              key={row.key}
              className="mt-4 mb-2 self-center rounded-full border border-border bg-card px-[0.7rem] py-[0.15rem] text-xs font-semibold text-muted-foreground"
            >
              <span>{row.label}</span>
            </div>
          ) : row.kind === "system" ? (
            <p
              key={row.key}
              className="my-2 self-center px-4 text-center text-xs text-muted-foreground"
              data-testid="system-message"
              data-message-id={row.id}
            >
              {row.text}
            </p>
          ) : (
            <div
              key={row.key}
              className={cn(
                messageVariants({ mine: row.mine, continued: row.continued, withAvatar: group && !row.mine }),
                "group/message rounded-xl transition-colors outline-none data-highlight:bg-primary-soft",
              )}
              tabIndex={row.id ? -1 : undefined}
              data-deleted={row.message?.deletedAt ? true : undefined}
              data-testid="message"
              data-client-id={row.clientId}
              data-message-id={row.id}
              data-status={row.status}
              data-mine={row.mine}
              data-sender-id={row.senderId}
              data-continued={row.continued || undefined}
              data-focused={(row.id !== undefined && row.id === focusId) || undefined}
            >
              {group && !row.mine && !row.continued ? (
                <>
                  <UserAvatar
                    user={people[row.senderId] ?? { id: row.senderId, email: "", displayName: nameOf(people, row.senderId) }}
                    size="sm"
                    position="absolute"
                    className="top-0 left-0"
                  />
                  <span
                    className="mb-[0.15rem] px-[0.35rem] text-xs font-semibold text-muted-foreground"
                    aria-hidden="true"
                    data-testid="sender-name"
                  >
                    {nameOf(people, row.senderId)}
                  </span>
                </>
              ) : null}
              <span className="sr-only">{row.mine ? "You" : group ? nameOf(people, row.senderId) : name}: </span>
              {row.replyTo ? (
                <ReplyQuote
                  me={me}
                  replyTo={row.replyTo}
                  original={byId.get(row.replyTo.id)}
                  people={people}
                  mine={row.mine}
                  onJump={jumpTo}
                />
              ) : null}
              <div className={cn("flex max-w-full items-center gap-1", row.mine && "flex-row-reverse")}>
                {row.message && editing === row.id && actions ? (
                  <MessageEditor
                    initial={row.content}
                    onSave={(content) => actions.onEdit(row.message!.id, content)}
                    onClose={() => setEditing(null)}
                  />
                ) : row.message?.deletedAt ? (
                  <div className={bubbleVariants({ mine: false, continued: row.continued, tone: "deleted" })} data-testid="message-content">
                    Message deleted
                  </div>
                ) : row.content || !(row.attachments?.length || row.uploads?.length) ? (
                  /* Formatting as React elements (message-content.tsx): never parsed as HTML. */
                  <div
                    className={cn(
                      bubbleVariants({
                        mine: row.mine,
                        continued: row.continued,
                        tone: row.status === "failed" ? "failed" : row.mine ? "mine" : "theirs",
                        pending: row.status === "pending",
                      }),
                      row.id !== undefined && row.id === focusId && "ring-2 ring-warning ring-offset-2 ring-offset-background",
                    )}
                    data-testid="message-content"
                  >
                    <MessageContent content={row.content} />
                  </div>
                ) : null}
                {actions && row.message && !row.message.deletedAt && editing !== row.id ? (
                  <MessageActions
                    className="opacity-0 group-focus-within/message:opacity-100 group-hover/message:opacity-100 focus-visible:opacity-100 pointer-coarse:opacity-100"
                    mine={row.mine}
                    editable={row.content.length > 0}
                    myReactions={(row.message.reactions ?? []).filter((r) => r.userIds.includes(me)).map((r) => r.emoji)}
                    onReply={() => actions.onReply(row.message!.id)}
                    onEdit={() => setEditing(row.message!.id)}
                    onDelete={() => actions.onDelete(row.message!.id)}
                    onToggleReaction={(emoji) => actions.onToggleReaction(row.message!.id, emoji)}
                  />
                ) : null}
              </div>
              {row.attachments?.length && !row.message?.deletedAt ? (
                <MessageAttachments attachments={row.attachments} mine={row.mine} />
              ) : null}
              {row.uploads?.length ? (
                <AttachmentUploads
                  uploads={uploads}
                  ids={row.uploads}
                  onCancel={onCancelUpload}
                  onRetry={onRetryUpload}
                  className="mt-1 items-end"
                />
              ) : null}
              {row.message?.reactions?.length ? (
                <MessageReactions
                  me={me}
                  reactions={row.message.reactions}
                  people={people}
                  mine={row.mine}
                  onToggle={actions ? (emoji) => actions.onToggleReaction(row.message!.id, emoji) : undefined}
                />
              ) : null}
              <div
                className="mt-[0.2rem] px-[0.35rem] text-[0.72rem] text-muted-foreground"
                hidden={!row.showMeta && row.id !== seenId && row.id !== seenById && !row.message?.editedAt}
              >
                <time dateTime={row.createdAt}>{formatTime(row.createdAt)}</time>
                {row.message?.editedAt && !row.message.deletedAt ? (
                  <span title={`Edited ${new Date(row.message.editedAt).toLocaleString()}`} data-testid="edited">
                    {" · "}edited
                  </span>
                ) : null}
                {row.id !== undefined && row.id === seenId ? (
                  <>
                    {" · "}
                    <span className="font-semibold" data-testid="seen-marker">
                      Seen
                    </span>
                  </>
                ) : null}
                {seenBy && row.id !== undefined && row.id === seenById ? (
                  <>
                    {" · "}
                    <SeenBy names={seenBy.userIds.map((id) => nameOf(people, id))} />
                  </>
                ) : null}
                {row.status === "pending" && row.attempts === 0 ? <span> · Sending…</span> : null}
                {row.status === "pending" && row.attempts > 0 ? (
                  <span title={row.error}>
                    {" · "}Not sent yet, retrying…
                    <Button variant="link" className="ml-2" data-testid="retry" onClick={() => onRetry(row.clientId)}>
                      Retry now
                    </Button>
                    <Button variant="link" className="ml-2" data-testid="discard" onClick={() => onDiscard(row.clientId)}>
                      Discard
                    </Button>
                  </span>
                ) : null}
                {row.status === "failed" ? (
                  <span className="text-destructive" role="alert">
                    {" · "}Failed{row.error ? `: ${row.error}` : ""}
                    <Button variant="link" className="ml-2" data-testid="retry" onClick={() => onRetry(row.clientId)}>
                      Retry
                    </Button>
                    <Button variant="link" className="ml-2" data-testid="discard" onClick={() => onDiscard(row.clientId)}>
                      Discard
                    </Button>
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

/** The message column; margin-top auto keeps a short conversation at the bottom, next to the composer. */
const listClassName = "mx-auto mt-auto flex w-full max-w-[52rem] flex-col";

const messageVariants = cva("flex max-w-[min(36rem,78%)] flex-col phone:max-w-[85%]", {
  variants: {
    mine: { true: "items-end self-end", false: "items-start" },
    continued: { true: "mt-[0.15rem]", false: "mt-[0.6rem]" },
    /** Others' messages in a group: room on the left for the sender's avatar. */
    withAvatar: { true: "relative pl-[38px]", false: "" },
  },
  defaultVariants: { continued: false, withAvatar: false },
});

/**
 * A speech bubble: theirs on the left with a tail corner bottom-left, mine on the right.
 * Inside a group, the corners facing the previous bubble tighten.
 * IMPORTANT: pre-wrap keeps the sender's line breaks; long words and URLs wrap instead of overflowing.
 */
const theirBubble = "bg-bubble shadow-[0_0_0_1px_var(--bubble-border),0_1px_1px_rgb(16_24_40/0.04)]";
const bubbleVariants = cva("rounded-bubble px-[0.85rem] py-2 whitespace-pre-wrap wrap-anywhere", {
  variants: {
    mine: { true: "rounded-br-md", false: "rounded-bl-md" },
    continued: { true: "", false: "" },
    /** Background, text and outline, each set once (cn() does not merge). */
    tone: {
      mine: "bg-bubble-mine text-bubble-mine-foreground",
      theirs: `${theirBubble} text-bubble-foreground`,
      failed: "bg-destructive-soft text-foreground shadow-[inset_0_0_0_1px_var(--destructive)]",
      deleted: `${theirBubble} text-muted-foreground italic`,
    },
    pending: { true: "opacity-70", false: "" },
  },
  compoundVariants: [
    { mine: true, continued: true, className: "rounded-tr-md" },
    { mine: false, continued: true, className: "rounded-tl-md" },
  ],
});

/**
 * "Seen by N" under my newest message in a group; who, in a tooltip on hover and on focus
 * (a button, so the keyboard reaches it; the names are its description for screen readers).
 */
function SeenBy({ names }: { names: string[] }) {
  const tipId = useId();
  return (
    <span className="group/seen relative inline-block">
      <button
        type="button"
        className="cursor-default font-semibold underline decoration-dotted underline-offset-2"
        aria-describedby={tipId}
        data-testid="seen-by"
      >
        Seen by {names.length}
      </button>
      <span
        id={tipId}
        role="tooltip"
        className="invisible absolute right-0 bottom-full z-10 mb-1 w-max max-w-64 rounded-md bg-foreground px-2 py-1 text-xs font-medium text-background opacity-0 shadow-elevation transition-opacity group-focus-within/seen:visible group-focus-within/seen:opacity-100 group-hover/seen:visible group-hover/seen:opacity-100"
        data-testid="seen-by-names"
      >
        {listNames(names, names.length)}
      </span>
    </span>
  );
}
