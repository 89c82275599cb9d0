import { lazy, Suspense } from "react";
import { Button } from "@/components/ui/button";
import { PlusIcon } from "@/components/ui/icons";
import { useDialogOnDemand } from "@/components/ui/on-demand";
import type { NewGroupDialogProps } from "./new-group-dialog";

// Not needed for the first paint: fetched when the user points at the button, or opens it.
const loadDialog = () => import("./new-group-dialog");
const NewGroupDialog = lazy(loadDialog);

/**
 * "New group" at the foot of the conversation list, and the dialog it opens. After the list in
 * the tab order too: from the search box, Tab reaches the conversations first.
 */
export function NewGroupButton({ me, onCreate }: Pick<NewGroupDialogProps, "me" | "onCreate">) {
  const dialog = useDialogOnDemand(loadDialog);

  return (
    <div className="mt-auto flex-none border-t border-border p-3">
      <Button size="block" data-testid="new-group" {...dialog.triggerProps}>
        <PlusIcon />
        New group
      </Button>
      {dialog.used ? (
        <Suspense fallback={null}>
          <NewGroupDialog me={me} open={dialog.open} setOpen={dialog.setOpen} returnFocusTo={dialog.triggerRef} onCreate={onCreate} />
        </Suspense>
      ) : null}
    </div>
  );
}
