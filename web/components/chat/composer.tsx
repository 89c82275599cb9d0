import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { MAX_CONTENT_LENGTH } from "@/lib/validations/chat";
import { codePointLength } from "./format";

// Show the counter once the text gets this close to the limit.
const COUNTER_FROM = MAX_CONTENT_LENGTH - 500;

interface ComposerProps {
  recipientName: string;
  onSend(content: string): void;
}

export function Composer({ recipientName, onSend }: ComposerProps) {
  const [draft, setDraft] = useState("");
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const hintId = useId();
  const inputId = useId();

  const content = draft.trim();
  const length = codePointLength(content);
  const tooLong = length > MAX_CONTENT_LENGTH;
  const canSend = length > 0 && !tooLong;

  useEffect(() => {
    inputRef.current?.focus();
  }, []);

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (!canSend) return;
    onSend(content);
    setDraft("");
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
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={onKeyDown}
          aria-describedby={hintId}
          aria-invalid={tooLong || undefined}
        />
        <button type="submit" className="button button-primary" data-testid="send-button" disabled={!canSend}>
          Send
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
