import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { MAX_CONTENT_LENGTH } from "@/lib/limits";
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
}

export function Composer({ recipientName, initialDraft = "", onSend, onDraftChange, onBlur }: ComposerProps) {
  const [draft, setDraft] = useState(initialDraft);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const hintId = useId();
  const inputId = useId();

  const content = draft.trim();
  const length = codePointLength(content);
  const tooLong = length > MAX_CONTENT_LENGTH;
  const canSend = length > 0 && !tooLong;

  useEffect(() => {
    // On touch screens focusing would pop the keyboard over the conversation the user just opened.
    if (window.matchMedia("(pointer: fine)").matches) inputRef.current?.focus();
  }, []);

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

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // isComposing: Enter that confirms an IME candidate must not send.
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };

  return (
    <form className="composer" onSubmit={submit}>
      <label htmlFor={inputId} className="sr-only">
        Message {recipientName}
      </label>
      <div className="composer-row">
        <textarea
          id={inputId}
          ref={inputRef}
          className="input composer-input"
          data-testid="composer"
          rows={1}
          placeholder={`Message ${recipientName}`}
          value={draft}
          onChange={(event) => update(event.target.value)}
          onKeyDown={onKeyDown}
          onBlur={onBlur}
          aria-describedby={hintId}
          aria-invalid={tooLong || undefined}
        />
        <button type="submit" className="button button-primary composer-send" data-testid="send-button" disabled={!canSend}>
          <svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true" focusable="false">
            <path
              d="M3.4 2.6a.9.9 0 0 0-1.2 1.1L4.3 9.2a.9.9 0 0 0 .8.6l6.4.2-6.4.2a.9.9 0 0 0-.8.6l-2.1 5.5a.9.9 0 0 0 1.2 1.1l14.2-6.6a.9.9 0 0 0 0-1.6z"
              fill="currentColor"
            />
          </svg>
          <span className="composer-send-label">Send</span>
        </button>
      </div>
      <p id={hintId} className="composer-hint" data-testid="composer-hint" data-too-long={tooLong || undefined} aria-live="polite">
        {tooLong
          ? `Too long to send: ${length.toLocaleString()} / ${MAX_CONTENT_LENGTH.toLocaleString()} characters.`
          : length >= COUNTER_FROM
            ? `${length.toLocaleString()} / ${MAX_CONTENT_LENGTH.toLocaleString()} characters`
            : "Enter to send · Shift+Enter for a new line"}
      </p>
    </form>
  );
}
