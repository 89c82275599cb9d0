"use client";

import { useId, useState, type FormEvent } from "react";
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
import { MoreIcon } from "@/components/ui/icons";
import { Input, Label } from "@/components/ui/input";
import { cn } from "@/lib/utils";
import { COMMON_EMOJI, isSingleEmoji } from "./emoji";

export interface MessageActionsProps {
  /** My message: it may be edited (text only) and deleted. */
  mine: boolean;
  /** Has text to edit (not an attachment-only message). */
  editable: boolean;
  /** Emoji I already reacted with (checked in the menu). */
  myReactions: string[];
  onReply(): void;
  onEdit(): void;
  onDelete(): Promise<unknown>;
  onToggleReaction(emoji: string): Promise<unknown>;
  className?: string;
}

/**
 * The "⋯" menu beside a message: reply, react (a few common emoji, or any one typed), and for my
 * own messages edit and delete (after confirming). Radix: arrow keys, Escape, focus back to the button.
 */
export function MessageActions({
  mine,
  editable,
  myReactions,
  onReply,
  onEdit,
  onDelete,
  onToggleReaction,
  className,
}: MessageActionsProps) {
  const [dialog, setDialog] = useState<"delete" | "emoji" | null>(null);

  return (
    <>
      <DropdownMenu modal={false}>
        <DropdownMenuTrigger asChild>
          <Button
            variant="ghost"
            size="icon"
            className={cn("size-8 text-muted-foreground data-[state=open]:opacity-100", className)}
            aria-label="Message actions"
            data-testid="message-actions"
          >
            <MoreIcon />
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent align={mine ? "end" : "start"}>
          <DropdownMenuItem data-testid="action-reply" onSelect={onReply}>
            Reply
          </DropdownMenuItem>
          <DropdownMenuSub>
            <DropdownMenuSubTrigger data-testid="action-react">React</DropdownMenuSubTrigger>
            <DropdownMenuSubContent className="grid grid-cols-4 gap-0.5">
              {COMMON_EMOJI.map((emoji) => (
                <DropdownMenuItem
                  key={emoji}
                  className="justify-center px-2 text-lg data-[mine]:bg-primary-soft"
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
