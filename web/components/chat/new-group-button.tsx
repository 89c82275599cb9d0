import { lazy, Suspense, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { PlusIcon } from "@/components/ui/icons";
import type { NewGroupDialogProps } from "./new-group-dialog";

// Not needed for the first paint: fetched when the user points at the button, or opens it.
const loadDialog = () => import("./new-group-dialog");
const NewGroupDialog = lazy(loadDialog);

/**
 * "New group" at the foot of the conversation list, and the dialog it opens. After the list in
 * the tab order too: from the search box, Tab reaches the conversations first.
 */
export function NewGroupButton({ me, onCreate }: Pick<NewGroupDialogProps, "me" | "onCreate">) {
  const [open, setOpen] = useState(false);
  const [used, setUsed] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);

  return (
    <div className="mt-auto flex-none border-t border-border p-3">
      <Button
        ref={buttonRef}
        size="block"
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
