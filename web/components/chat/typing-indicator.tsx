/** "Ann is typing…", "Ann and Bob are typing…", "3 people are typing…"; null when nobody is. */
export function typingLine(names: string[]): string | null {
  if (names.length === 0) return null;
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}

/**
 * "Ann is typing…" under the open conversation. The live region stays mounted so screen
 * readers hear it appear; it floats over the list's bottom padding, so nothing jumps.
 * It spans the pane like the message column, so the pill lines up with the bubbles.
 */
export function TypingIndicator({ names }: { names: string[] }) {
  const line = typingLine(names);
  return (
    <div className="pointer-events-none absolute right-6 bottom-2 left-6 phone:right-3 phone:left-3" role="status">
      {line ? (
        <div className="mx-auto max-w-[52rem]">
          <div
            className="inline-flex animate-rise items-center gap-2 rounded-full border border-border bg-card py-[0.3rem] pr-3 pl-[0.6rem] text-[0.8rem] text-muted-foreground shadow-elevation"
            data-testid="typing-indicator"
          >
            <span className="inline-flex gap-[3px]" aria-hidden="true">
              <span className="size-[5px] animate-bounce-dot rounded-full bg-current" />
              <span className="size-[5px] animate-bounce-dot rounded-full bg-current [animation-delay:0.15s]" />
              <span className="size-[5px] animate-bounce-dot rounded-full bg-current [animation-delay:0.3s]" />
            </span>
            {line}
          </div>
        </div>
      ) : null}
    </div>
  );
}
