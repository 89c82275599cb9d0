import { useId, useState, type FormEvent, type ReactElement } from "react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuSeparator,
  DropdownMenuSub,
  DropdownMenuSubContent,
  DropdownMenuSubTrigger,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { Input, Label } from "@/components/ui/input";
import { useFirstOpenFocus, type MenuOnDemandProps } from "@/components/ui/on-demand";
import { COMMON_EMOJI, isSingleEmoji } from "./emoji";
import type { MessageActionsProps } from "./message-actions";

export interface MessageActionsMenuProps extends Omit<MessageActionsProps, "className">, MenuOnDemandProps {
  /** The "⋯" button, as the placeholder showed it: it becomes the menu's trigger. */
  trigger: ReactElement;
}

/**
 * The "⋯" menu beside a message: reply, react (a few common emoji, or any one typed), and for my
 * own messages edit and delete (after confirming). Radix: arrow keys, Escape, focus back to the
 * button. Loaded on demand and mounted open (see MessageActions).
 */
export default function MessageActionsMenu({
  trigger,
  openedWithKeyboard,
  mine,
  editable,
  myReactions,
  onReply,
  onEdit,
  onDelete,
  onToggleReaction,
}: MessageActionsMenuProps) {
  const [dialog, setDialog] = useState<"delete" | "emoji" | null>(null);
  const onFocus = useFirstOpenFocus({ openedWithKeyboard });

  return (
    <>
      <DropdownMenu modal={false} defaultOpen>
        <DropdownMenuTrigger asChild>{trigger}</DropdownMenuTrigger>
        <DropdownMenuContent align={mine ? "end" : "start"} onFocus={onFocus}>
          <DropdownMenuItem data-testid="action-reply" onSelect={onReply}>
            Reply
          </DropdownMenuItem>
          <DropdownMenuSub>
            <DropdownMenuSubTrigger data-testid="action-react">React</DropdownMenuSubTrigger>
            <DropdownMenuSubContent className="grid grid-cols-4 gap-0.5">
              {COMMON_EMOJI.map((emoji) => (
                <DropdownMenuItem
                  key={emoji}
                  size="emoji"
                  className="data-[mine]:bg-primary-soft"
                  aria-label={myReactions.includes(emoji) ? `Remove ${emoji}` : `React with ${emoji}`}
                  data-mine={myReactions.includes(emoji) || undefined}
                  data-testid="react-emoji"
                  data-emoji={emoji}
                  onSelect={() => void onToggleReaction(emoji).catch(() => undefined)}
                >
                  {emoji}
                </DropdownMenuItem>
              ))}
              <DropdownMenuItem className="col-span-4" data-testid="react-other" onSelect={() => setDialog("emoji")}>
                Other emoji…
              </DropdownMenuItem>
            </DropdownMenuSubContent>
          </DropdownMenuSub>
          {mine ? (
            <>
              <DropdownMenuSeparator />
              {editable ? (
                <DropdownMenuItem data-testid="action-edit" onSelect={onEdit}>
                  Edit
                </DropdownMenuItem>
              ) : null}
              <DropdownMenuItem variant="destructive" data-testid="action-delete" onSelect={() => setDialog("delete")}>
                Delete
              </DropdownMenuItem>
            </>
          ) : null}
        </DropdownMenuContent>
      </DropdownMenu>
      <DeleteDialog open={dialog === "delete"} onOpenChange={(open) => setDialog(open ? "delete" : null)} onDelete={onDelete} />
      <EmojiDialog
        open={dialog === "emoji"}
        onOpenChange={(open) => setDialog(open ? "emoji" : null)}
        onPick={(emoji) => onToggleReaction(emoji)}
      />
    </>
  );
}

function DeleteDialog({
  open,
  onOpenChange,
  onDelete,
}: {
  open: boolean;
  onOpenChange(open: boolean): void;
  onDelete(): Promise<unknown>;
}) {
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    try {
      await onDelete();
      onOpenChange(false);
    } catch {
      // The notice says why; the dialog stays for another try.
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent data-testid="delete-dialog">
        <DialogHeader>
          <DialogTitle>Delete this message?</DialogTitle>
          <DialogDescription>Everyone in the conversation will see “Message deleted” in its place.</DialogDescription>
        </DialogHeader>
        <DialogFooter>
          <Button onClick={() => onOpenChange(false)}>Cancel</Button>
          <Button variant="destructive" data-testid="confirm-delete" disabled={busy} onClick={() => void confirm()}>
            Delete
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}

/** Any emoji, typed or picked from the system's emoji keyboard. */
function EmojiDialog({
  open,
  onOpenChange,
  onPick,
}: {
  open: boolean;
  onOpenChange(open: boolean): void;
  onPick(emoji: string): Promise<unknown>;
}) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const inputId = useId();
  const errorId = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!isSingleEmoji(value)) return setError("Type a single emoji.");
    try {
      await onPick(value.trim());
      setValue("");
      setError(null);
      onOpenChange(false);
    } catch {
      setError("The reaction could not be added.");
    }
  };

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent data-testid="emoji-dialog">
        <form onSubmit={(event) => void submit(event)}>
          <DialogHeader>
            <DialogTitle>React with an emoji</DialogTitle>
            <DialogDescription>Type or paste one emoji.</DialogDescription>
          </DialogHeader>
          <div className="flex flex-col gap-1 px-6">
            <Label htmlFor={inputId}>Emoji</Label>
            <Input
              id={inputId}
              value={value}
              autoComplete="off"
              data-testid="emoji-input"
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? errorId : undefined}
              onChange={(event) => {
                setValue(event.target.value);
                setError(null);
              }}
            />
            {error ? (
              <p id={errorId} className="text-sm text-destructive" role="alert">
                {error}
              </p>
            ) : null}
          </div>
          <DialogFooter>
            <Button onClick={() => onOpenChange(false)}>Cancel</Button>
            <Button type="submit" variant="primary" data-testid="emoji-submit">
              React
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
