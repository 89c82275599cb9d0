import type { ReactionSummary, UserProfile } from "@/lib/types";
import { cn } from "@/lib/utils";
import { listNames, nameOf } from "./format";

interface MessageReactionsProps {
  me: string;
  reactions: ReactionSummary[];
  people: Record<string, UserProfile>;
  mine: boolean;
  /** Adds my reaction with this emoji, or takes it back; absent: read-only (a group I left). */
  onToggle?(emoji: string): Promise<unknown>;
}

/** Who reacted, "You" first: "You, Pat Peer and 2 others". */
function whoReacted(reaction: ReactionSummary, me: string, people: Record<string, UserProfile>): string {
  const ids = [...reaction.userIds].sort((a, b) => Number(b === me) - Number(a === me));
  return listNames(
    ids.map((id) => nameOf(people, id, me)),
    ids.length,
  );
}

/** The reactions under a message: each emoji with its count; mine are pressed, a click toggles mine; who reacted on hover. */
export function MessageReactions({ me, reactions, people, mine, onToggle }: MessageReactionsProps) {
  if (reactions.length === 0) return null;
  return (
    <ul className={cn("mt-1 flex flex-wrap gap-1", mine && "justify-end")} aria-label="Reactions" data-testid="reactions">
      {reactions.map((reaction) => {
        const pressed = reaction.userIds.includes(me);
        const who = whoReacted(reaction, me, people);
        return (
          <li key={reaction.emoji}>
            <button
              type="button"
              className={cn(
                "inline-flex h-7 items-center gap-1 rounded-full border px-2 text-sm",
                pressed ? "border-primary bg-primary-soft text-foreground" : "border-border bg-card text-muted-foreground hover:bg-hover",
              )}
              aria-pressed={pressed}
              aria-label={`${reaction.emoji} ${reaction.count}: ${who}`}
              title={`${who} reacted with ${reaction.emoji}`}
              data-testid="reaction"
              data-emoji={reaction.emoji}
              data-count={reaction.count}
              disabled={!onToggle}
              onClick={() => void onToggle?.(reaction.emoji).catch(() => undefined)}
            >
              <span aria-hidden="true">{reaction.emoji}</span>
              <span aria-hidden="true" className="text-xs font-semibold tabular-nums">
                {reaction.count}
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
