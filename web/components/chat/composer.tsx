import { useEffect, useId, useRef, useState, type ClipboardEvent, type FormEvent, type KeyboardEvent, type ReactNode } from "react";
import type { UploadItem } from "@/lib/chat/chat-state";
import { MAX_CONTENT_LENGTH } from "@/lib/limits";
import { Button } from "@/components/ui/button";
import { SendIcon } from "@/components/ui/icons";
import { Textarea } from "@/components/ui/input";
import { AttachButton } from "./attach-button";
import { AttachmentUploads } from "./attachment-uploads";
import { codePointLength } from "./format";

// Show the counter once the text gets this close to the limit.
const COUNTER_FROM = MAX_CONTENT_LENGTH - 500;

interface ComposerProps {
  recipientName: string;
  /** The draft this conversation had when it was last left. */
  initialDraft?: string;
  onSend(content: string): void;
  /** Every edit (keeps the draft, and tells the peer we are typing). */
  onDraftChange?(draft: string): void;
  /** Focus left the box: we are no longer typing. */
  onBlur?(): void;
  /** The message being replied to: choosing one brings the focus here. */
  replyingTo?: string | null;
  /** Escape in the box while replying (the reply bar's button does the same). */
  onCancelReply?(): void;
  /** Above the input (the reply bar). */
  children?: ReactNode;
  /** Files: the ones waiting in this composer, and what to do with new, cancelled or retried ones. */
  attachments?: {
    uploads: UploadItem[];
    /** Why files were just turned away (the limits), if any. */
    notice: string | null;
    onAttach(files: File[]): void;
    onCancel(uploadId: string): void;
    onRetry(uploadId: string, file?: File): void;
  };
}

export function Composer({
  recipientName,
  initialDraft = "",
  onSend,
  onDraftChange,
  onBlur,
  replyingTo,
  onCancelReply,
  children,
  attachments,
}: ComposerProps) {
  const [draft, setDraft] = useState(initialDraft);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const hintId = useId();
  const inputId = useId();

  const content = draft.trim();
  const length = codePointLength(content);
  const tooLong = length > MAX_CONTENT_LENGTH;
  const files = attachments?.uploads.filter((upload) => upload.status !== "cancelled") ?? [];
  // A failed file must be retried or removed first: the message would wait for it forever.
  const filesFailed = files.some((upload) => upload.status === "failed");
  const canSend = (length > 0 || files.length > 0) && !tooLong && !filesFailed;

  useEffect(() => {
    // On touch screens focusing would pop the keyboard over the conversation the user just opened.
    if (window.matchMedia("(pointer: fine)").matches) inputRef.current?.focus();
  }, []);

  const replying = useRef(replyingTo);
  useEffect(() => {
    const wasReplying = replying.current;
    replying.current = replyingTo;
    if (replyingTo) inputRef.current?.focus();
    // Cancelled with the reply bar's button, which went away with the bar: the focus comes back here.
    else if (wasReplying && (document.activeElement === null || document.activeElement === document.body)) inputRef.current?.focus();
  }, [replyingTo]);

  const update = (value: string) => {
    setDraft(value);
    onDraftChange?.(value);
  };

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (!canSend) return;
    onSend(content);
    setDraft("");
    inputRef.current?.focus();
  };

  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    const pasted = [...event.clipboardData.files];
    if (!attachments || pasted.length === 0) return;
    event.preventDefault();
    attachments.onAttach(pasted);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // isComposing: Enter that confirms an IME candidate must not send, Escape that drops one must not cancel.
    if (event.nativeEvent.isComposing) return;
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      submit();
    } else if (event.key === "Escape" && replyingTo && onCancelReply && !event.defaultPrevented) {
      // defaultPrevented: an open popup (Radix handles Escape first, on the document) closes alone.
      event.preventDefault();
      onCancelReply();
    }
  };

  return (
    <form className="flex-none border-t border-border bg-card px-5 pt-3 pb-2 phone:px-3 phone:pt-[0.6rem]" onSubmit={submit}>
      {children}
      <label htmlFor={inputId} className="sr-only">
        Message {recipientName}
      </label>
      {attachments ? (
        <AttachmentUploads
          uploads={files}
          onCancel={attachments.onCancel}
          onRetry={attachments.onRetry}
          layout="row"
          className="mx-auto mb-2 max-w-[52rem]"
        />
      ) : null}
      <div className="mx-auto flex max-w-[52rem] items-end gap-2">
        {attachments ? <AttachButton onFiles={attachments.onAttach} /> : null}
        <Textarea
          id={inputId}
          ref={inputRef}
          // field-sizing: grows with its content where supported; rows=1 elsewhere.
          variant="filled"
          box="none"
          className="max-h-40 min-h-[2.6rem] w-full resize-none rounded-[1.3rem] px-4 py-[0.55rem] leading-[1.45] [field-sizing:content]"
          data-testid="composer"
          rows={1}
          placeholder={`Message ${recipientName}`}
          value={draft}
          onChange={(event) => update(event.target.value)}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
          onBlur={onBlur}
          aria-describedby={hintId}
          aria-invalid={tooLong || undefined}
        />
        <Button
          type="submit"
          variant="primary"
          size="none"
          className="h-[2.6rem] rounded-[1.3rem] border py-2 pr-[1.1rem] pl-[0.95rem] phone:w-[2.6rem] phone:p-0"
          data-testid="send-button"
          disabled={!canSend}
        >
          <SendIcon />
          <span className="phone:sr-only">Send</span>
        </Button>
      </div>
      <p
        id={hintId}
        className="mx-auto mt-[0.35rem] max-w-[52rem] pl-4 text-[0.72rem] text-muted-foreground data-too-long:font-semibold data-too-long:text-destructive phone:hidden"
        data-testid="composer-hint"
        data-too-long={tooLong || !!attachments?.notice || undefined}
        aria-live="polite"
      >
        {attachments?.notice
          ? attachments.notice
          : filesFailed
            ? "Retry or remove the file that failed to send the message."
            : tooLong
              ? `Too long to send: ${length.toLocaleString()} / ${MAX_CONTENT_LENGTH.toLocaleString()} characters.`
              : length >= COUNTER_FROM
                ? `${length.toLocaleString()} / ${MAX_CONTENT_LENGTH.toLocaleString()} characters`
                : "Enter to send · Shift+Enter for a new line"}
      </p>
    </form>
  );
}
