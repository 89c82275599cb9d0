import { lazy, Suspense, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { PlusIcon } from "@/components/ui/icons";
import type { NewGroupDialogProps } from "./new-group-dialog";

// Not needed for the first paint: fetched when the user points at the button, or opens it.
const loadDialog = () => import("./new-group-dialog");
const NewGroupDialog = lazy(loadDialog);

/** "New group" above the conversation list, and the dialog it opens. */
export function NewGroupButton({ me, onCreate }: Pick<NewGroupDialogProps, "me" | "onCreate">) {
  const [open, setOpen] = useState(false);
  const [used, setUsed] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);

  return (
    <div className="flex flex-none items-center justify-between px-4 pt-3 pb-1">
      <h2 className="text-xs font-semibold tracking-[0.06em] text-muted-foreground uppercase">Chats</h2>
      <Button
        ref={buttonRef}
        variant="ghost"
        className="-mr-2 px-2 py-1 text-primary enabled:hover:text-primary-hover"
        data-testid="new-group"
        aria-haspopup="dialog"
        aria-expanded={open}
        onPointerEnter={() => void loadDialog()}
        onFocus={() => void loadDialog()}
        onClick={() => {
          setUsed(true);
          setOpen(true);
        }}
      >
        <PlusIcon />
        New group
      </Button>
      {used ? (
        <Suspense fallback={null}>
          <NewGroupDialog me={me} open={open} setOpen={setOpen} returnFocusTo={buttonRef} onCreate={onCreate} />
        </Suspense>
      ) : null}
    </div>
  );
}
