/**
 * "Ann is typing…" under the open conversation. The live region stays mounted so screen
 * readers hear it appear; it floats over the list's bottom padding, so nothing jumps.
 */
export function TypingIndicator({ name }: { name: string | null }) {
  return (
    <div className="typing-slot" role="status">
      {name ? (
        <div className="typing-row">
          <div className="typing-indicator" data-testid="typing-indicator">
            <span className="typing-dots" aria-hidden="true">
              <span />
              <span />
              <span />
            </span>
            {name} is typing…
          </div>
        </div>
      ) : null}
    </div>
  );
}
