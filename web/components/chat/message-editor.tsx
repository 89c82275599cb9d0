"use client";

import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { MAX_CONTENT_LENGTH } from "@/lib/limits";
import { Button } from "@/components/ui/button";
import { Textarea } from "@/components/ui/input";
import { codePointLength } from "./format";

interface MessageEditorProps {
  initial: string;
  /** Saves the new text; throws the API's error, shown here. */
  onSave(content: string): Promise<unknown>;
  onClose(): void;
}

/**
 * A message's text, editable in place: Enter saves, Escape cancels (as it cancels a reply in the
 * composer), the server's refusal shows below. Closed, the focus goes back to the message.
 */
export function MessageEditor({ initial, onSave, onClose: close }: MessageEditorProps) {
  const [text, setText] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ref = useRef<HTMLTextAreaElement>(null);
  const labelId = useId();
  const errorId = useId();
  const content = text.trim();
  const length = codePointLength(content);
  const valid = length > 0 && length <= MAX_CONTENT_LENGTH;

  useEffect(() => {
    const element = ref.current;
    element?.focus();
    element?.setSelectionRange(element.value.length, element.value.length);
  }, []);

  const onClose = () => {
    // The editor goes away with the focus in it: its message (focusable, it shows its "⋯" button) takes it.
    const editor = ref.current?.form;
    if (editor?.contains(document.activeElement)) editor.closest<HTMLElement>("[data-message-id]")?.focus({ preventScroll: true });
    close();
  };

  const save = async (event?: FormEvent) => {
    event?.preventDefault();
    if (!valid || busy) return;
    if (content === initial) return onClose();
    setBusy(true);
    try {
      await onSave(content);
      onClose();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : "The message could not be saved.");
      setBusy(false);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // The composer's rules: not while an IME candidate is open, not when something else took the Escape.
    if (event.nativeEvent.isComposing) return;
    if (event.key === "Escape" && !event.defaultPrevented) {
      event.preventDefault();
      onClose();
    } else if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      void save();
    }
  };

  return (
    <form className="flex w-[min(36rem,70vw)] flex-col gap-1" onSubmit={(event) => void save(event)} data-testid="message-editor">
      <span id={labelId} className="sr-only">
        Edit message
      </span>
      <Textarea
        ref={ref}
        className="max-h-60 min-h-[2.6rem] resize-none [field-sizing:content]"
        value={text}
        aria-labelledby={labelId}
        aria-invalid={error || !valid ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        data-testid="edit-input"
        onChange={(event) => {
          setText(event.target.value);
          setError(null);
        }}
        onKeyDown={onKeyDown}
      />
      {error ? (
        <p id={errorId} className="text-xs text-destructive" role="alert">
          {error}
        </p>
      ) : null}
      <div className="flex justify-end gap-2 text-xs">
        <span className="mr-auto self-center text-muted-foreground">Escape to cancel · Enter to save</span>
        <Button onClick={onClose}>Cancel</Button>
        <Button type="submit" variant="primary" disabled={!valid || busy} data-testid="edit-save">
          Save
        </Button>
      </div>
    </form>
  );
}
