import { useId, useState, type FormEvent, type RefObject } from "react";
import type { UserProfile } from "@/lib/types";
import { DISPLAY_NAME_MAX } from "@/lib/limits";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input, Label } from "@/components/ui/input";
import { codePointLength } from "./format";
import { describeGroupError } from "./group-errors";
import { PeoplePicker } from "./people-picker";

// A group has at least three members: me and two others.
const MIN_OTHERS = 2;

export interface NewGroupDialogProps {
  me: string;
  open: boolean;
  setOpen(open: boolean): void;
  returnFocusTo: RefObject<HTMLElement | null>;
  /** Creates the group (and opens it); throws the API's error. */
  onCreate(input: { name: string; memberIds: string[] }): Promise<unknown>;
}

/** "New group": a name and the people in it. Loaded on first use (not part of the page's first load). */
export default function NewGroupDialog({ open, setOpen, returnFocusTo, ...props }: NewGroupDialogProps) {
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogContent
        data-testid="new-group-dialog"
        size="lg"
        onCloseAutoFocus={(event) => {
          event.preventDefault();
          returnFocusTo.current?.focus();
        }}
      >
        {/* Mounted while open only: every new group starts empty. */}
        <NewGroupForm {...props} onDone={() => setOpen(false)} />
      </DialogContent>
    </Dialog>
  );
}

function NewGroupForm({ me, onCreate, onDone }: Pick<NewGroupDialogProps, "me" | "onCreate"> & { onDone(): void }) {
  const [name, setName] = useState("");
  const [picked, setPicked] = useState<UserProfile[]>([]);
  const [state, setState] = useState<{ status: "idle" | "saving" } | { status: "error"; message: string }>({ status: "idle" });
  const nameId = useId();
  const errorId = useId();

  const trimmed = name.trim();
  const nameLength = codePointLength(trimmed);
  const ready = nameLength >= 1 && nameLength <= DISPLAY_NAME_MAX && picked.length >= MIN_OTHERS;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!ready) {
      setState({
        status: "error",
        message: nameLength === 0 ? "Give the group a name." : `Pick at least ${MIN_OTHERS} people (you are the third member).`,
      });
      return;
    }
    setState({ status: "saving" });
    try {
      await onCreate({ name: trimmed, memberIds: picked.map((person) => person.id) });
      onDone();
    } catch (error) {
      setState({ status: "error", message: describeGroupError(error) });
    }
  };

  return (
    <form onSubmit={submit} noValidate>
      <DialogHeader>
        <DialogTitle>New group</DialogTitle>
        <DialogDescription>Name the group and pick at least two people. You are its owner.</DialogDescription>
      </DialogHeader>
      <div className="flex flex-col gap-4 px-6 pt-1 pb-2">
        <div>
          <Label htmlFor={nameId}>Group name</Label>
          <Input
            id={nameId}
            data-testid="group-name-input"
            value={name}
            maxLength={DISPLAY_NAME_MAX}
            placeholder="e.g. Weekend trip"
            autoComplete="off"
            aria-invalid={(state.status === "error" && nameLength === 0) || undefined}
            aria-describedby={state.status === "error" ? errorId : undefined}
            onChange={(event) => {
              setName(event.target.value);
              if (state.status === "error") setState({ status: "idle" });
            }}
          />
        </div>
        <PeoplePicker picked={picked} onChange={setPicked} excluded={new Set([me])} excludedLabel="You" />
      </div>
      {state.status === "error" ? (
        <p
          id={errorId}
          className="mx-6 mt-2 rounded-lg bg-destructive-soft px-3 py-2 text-sm text-destructive"
          role="alert"
          data-testid="group-error"
        >
          {state.message}
        </p>
      ) : null}
      <DialogFooter>
        <Button type="submit" variant="primary" data-testid="create-group" disabled={state.status === "saving"}>
          {state.status === "saving" ? "Creating…" : `Create group${picked.length > 0 ? ` (${picked.length + 1})` : ""}`}
        </Button>
      </DialogFooter>
    </form>
  );
}
