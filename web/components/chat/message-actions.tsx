"use client";

import { lazy, Suspense } from "react";
import { Button } from "@/components/ui/button";
import { MoreIcon } from "@/components/ui/icons";
import { useMenuOnDemand } from "@/components/ui/on-demand";
import { cn } from "@/lib/utils";

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

// The menu and its dialogs (Radix) are not needed for the first paint: fetched when the user points
// at the button or focuses it, and mounted only for the message whose button is used.
const loadMenu = () => import("./message-actions-menu");
const MessageActionsMenu = lazy(loadMenu);

/** The "⋯" button beside a message. Until it is used, a plain button that looks the same. */
export function MessageActions({ className, ...props }: MessageActionsProps) {
  const { opened, triggerProps } = useMenuOnDemand(loadMenu);
  const renderButton = (extra?: typeof triggerProps) => (
    <Button
      variant="ghost"
      size="icon-sm"
      className={cn("data-[state=open]:opacity-100", className)}
      aria-label="Message actions"
      data-testid="message-actions"
      {...extra}
    >
      <MoreIcon />
    </Button>
  );
  const placeholder = renderButton(triggerProps);
  return (
    <Suspense fallback={placeholder}>
      {opened ? <MessageActionsMenu {...props} {...opened} trigger={renderButton()} /> : placeholder}
    </Suspense>
  );
}
