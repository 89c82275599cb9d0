/**
 * "Ann is typing…" under the open conversation. The live region stays mounted so screen
 * readers hear it appear; it floats over the list's bottom padding, so nothing jumps.
 * It spans the pane like the message column, so the pill lines up with the bubbles.
 */
export function TypingIndicator({ name }: { name: string | null }) {
  return (
    <div className="pointer-events-none absolute right-6 bottom-2 left-6 phone:right-3 phone:left-3" role="status">
      {name ? (
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
            {name} is typing…
          </div>
        </div>
      ) : null}
    </div>
  );
}
