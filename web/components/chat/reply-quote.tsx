import { previewText } from "@/lib/chat/attachment-format";
import { plainText } from "@/lib/chat/message-format";
import type { ChatMessage, ReplyPreview, UserProfile } from "@/lib/types";
import { Button } from "@/components/ui/button";
import { CloseIcon } from "@/components/ui/icons";
import { cn } from "@/lib/utils";
import { nameOf } from "./format";
import { useFormatter } from "./use-formatter";

/**
 * What a quote shows: the original as held (edited or deleted since), else the preview the reply
 * carries; as one plain line (the Markdown belongs to the bubble).
 */
export function quoteOf(replyTo: ReplyPreview, held: ChatMessage | undefined): { senderId: string; text: string; deleted: boolean } {
  if (held) return { senderId: held.senderId, text: plainText(held.content), deleted: !!held.deletedAt };
  return { senderId: replyTo.senderId, text: plainText(replyTo.excerpt), deleted: replyTo.deleted };
}

interface ReplyQuoteProps {
  me: string;
  replyTo: ReplyPreview;
  /** The original, when the view holds it (then a click shows it). */
  original: ChatMessage | undefined;
  people: Record<string, UserProfile>;
  mine: boolean;
  onJump(messageId: string): void;
}

/** The quote above a reply's text: who wrote the original and its start, or that it was deleted. */
export function ReplyQuote({ me, replyTo, original, people, mine, onJump }: ReplyQuoteProps) {
  useFormatter();
  const quote = quoteOf(replyTo, original);
  const who = nameOf(people, quote.senderId, me);
  const body = quote.deleted ? (
    <em data-testid="reply-quote-deleted">Message deleted</em>
  ) : (
    <span className="line-clamp-2">{quote.text || "Attachment"}</span>
  );
  const className = cn(
    "mb-1 block w-fit max-w-full rounded-lg border-l-[3px] px-2 py-1 text-left text-[0.8rem]",
    mine ? "border-bubble-mine-foreground/60 bg-black/10" : "border-primary bg-muted",
  );
  const content = (
    <>
      <span className="block text-xs font-semibold">{who}</span>
      {body}
    </>
  );
  return original ? (
    <button
      type="button"
      className={cn(className, "cursor-pointer hover:opacity-90")}
      aria-label={`Replying to ${who}${quote.deleted ? ": message deleted" : `: ${quote.text}`}. Show the message`}
      data-testid="reply-quote"
      data-reply-to={replyTo.id}
      onClick={() => onJump(replyTo.id)}
    >
      {content}
    </button>
  ) : (
    <span className={className} data-testid="reply-quote" data-reply-to={replyTo.id}>
      {content}
    </span>
  );
}

interface ReplyBarProps {
  me: string;
  message: ChatMessage;
  people: Record<string, UserProfile>;
  onCancel(): void;
}

/** Above the composer while a reply is being written: to whom and what, with a way out. */
export function ReplyBar({ me, message, people, onCancel }: ReplyBarProps) {
  useFormatter();
  const who = nameOf(people, message.senderId, me);
  return (
    <div
      className="mx-auto mb-2 flex max-w-[52rem] items-center gap-2 rounded-lg border-l-[3px] border-primary bg-muted px-3 py-1.5"
      data-testid="reply-bar"
    >
      <div className="min-w-0 flex-1 text-[0.8rem]">
        <span className="block text-xs font-semibold">Replying to {who}</span>
        <span className="block truncate text-muted-foreground">
          {message.deletedAt ? <em>Message deleted</em> : previewText(message) || "Attachment"}
        </span>
      </div>
      <Button variant="ghost" size="icon-sm" aria-label="Cancel reply" data-testid="reply-cancel" onClick={onCancel}>
        <CloseIcon />
      </Button>
    </div>
  );
}
