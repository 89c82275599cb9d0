import { useId, useState, type FormEvent, type RefObject } from "react";
import type { ConversationMember } from "@/lib/chat/chat-state";
import type { UserProfile } from "@/lib/types";
import { DISPLAY_NAME_MAX } from "@/lib/limits";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input, Label } from "@/components/ui/input";
import { Spinner } from "@/components/ui/spinner";
import { UserAvatar } from "./avatar";
import { codePointLength, displayName } from "./format";
import { describeGroupError } from "./group-errors";
import { PeoplePicker } from "./people-picker";

export interface GroupMembersDialogProps {
  me: string;
  name: string;
  /** My role: owners rename, add and remove. */
  role: "owner" | "member";
  /** Every member with their role; null while loading. */
  members: ConversationMember[] | null;
  open: boolean;
  setOpen(open: boolean): void;
  returnFocusTo: RefObject<HTMLElement | null>;
  onRename(name: string): Promise<unknown>;
  onAdd(userIds: string[]): Promise<unknown>;
  onRemove(userId: string): Promise<unknown>;
  onLeave(): Promise<unknown>;
}

type Action = { status: "idle" } | { status: "busy"; what: string } | { status: "error"; message: string };

/**
 * A group's members and roles; owners rename the group, add and remove people; anyone leaves
 * (after confirming). Loaded on first use (not part of the page's first load).
 */
export default function GroupMembersDialog({ open, setOpen, returnFocusTo, ...props }: GroupMembersDialogProps) {
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogContent
        data-testid="members-dialog"
        size="lg"
        onCloseAutoFocus={(event) => {
          event.preventDefault();
          returnFocusTo.current?.focus();
        }}
      >
        <GroupMembers {...props} close={() => setOpen(false)} />
      </DialogContent>
    </Dialog>
  );
}

function GroupMembers(props: Omit<GroupMembersDialogProps, "open" | "setOpen" | "returnFocusTo"> & { close(): void }) {
  const { me, name, role, members, onRename, onAdd, onRemove, onLeave, close } = props;
  const [action, setAction] = useState<Action>({ status: "idle" });
  const [confirm, setConfirm] = useState<{ kind: "leave" } | { kind: "remove"; user: UserProfile } | null>(null);
  const [adding, setAdding] = useState<UserProfile[]>([]);
  const [newName, setNewName] = useState(name);
  const renameId = useId();
  const owner = role === "owner";
  const busy = action.status === "busy";

  const run = async (what: string, call: () => Promise<unknown>, after?: () => void) => {
    setAction({ status: "busy", what });
    try {
      await call();
      setAction({ status: "idle" });
      after?.();
    } catch (error) {
      setAction({ status: "error", message: describeGroupError(error) });
    }
  };

  const rename = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = newName.trim();
    const length = codePointLength(trimmed);
    if (length < 1 || length > DISPLAY_NAME_MAX) {
      setAction({ status: "error", message: `A group name has 1 to ${DISPLAY_NAME_MAX} characters.` });
      return;
    }
    void run("rename", () => onRename(trimmed));
  };

  if (confirm) {
    const leaving = confirm.kind === "leave";
    return (
      <div data-testid="confirm">
        <DialogHeader>
          <DialogTitle>{leaving ? `Leave “${name}”?` : `Remove ${displayName(confirm.user)}?`}</DialogTitle>
          <DialogDescription>
            {leaving
              ? "You will no longer see this group or its messages, including the ones sent before. An owner can add you again."
              : `${displayName(confirm.user)} will no longer see this group or its messages.`}
          </DialogDescription>
        </DialogHeader>
        {action.status === "error" ? <ErrorLine message={action.message} /> : null}
        <DialogFooter>
          <Button onClick={() => setConfirm(null)} disabled={busy} autoFocus>
            Cancel
          </Button>
          <Button
            variant="destructive"
            data-testid="confirm-action"
            disabled={busy}
            onClick={() =>
              void (leaving
                ? run("leave", onLeave, close)
                : run(
                    "remove",
                    () => onRemove(confirm.user.id),
                    () => setConfirm(null),
                  ))
            }
          >
            {busy ? <Spinner /> : null}
            {leaving ? "Leave group" : "Remove"}
          </Button>
        </DialogFooter>
      </div>
    );
  }

  return (
    <>
      <DialogHeader>
        <DialogTitle>{name}</DialogTitle>
        <DialogDescription>
          {members ? `${members.length} members` : "Members"}
          {owner ? " · You are an owner" : ""}
        </DialogDescription>
      </DialogHeader>

      {owner ? (
        <form className={sectionClassName} onSubmit={rename}>
          <Label htmlFor={renameId}>Group name</Label>
          <div className="flex gap-2">
            <Input
              id={renameId}
              data-testid="rename-input"
              value={newName}
              maxLength={DISPLAY_NAME_MAX}
              autoComplete="off"
              onChange={(event) => setNewName(event.target.value)}
            />
            <Button type="submit" data-testid="rename-save" disabled={busy || newName.trim() === name}>
              Rename
            </Button>
          </div>
        </form>
      ) : null}

      <section className={sectionClassName} aria-label="Members">
        {members ? (
          <ul className="flex flex-col gap-1" data-testid="member-list">
            {members.map((member) => {
              const isMe = member.user.id === me;
              return (
                <li key={member.user.id} className="flex items-center gap-3 py-1" data-testid="member" data-email={member.user.email}>
                  <UserAvatar user={member.user} size="sm" />
                  <span className="flex min-w-0 flex-1 flex-col">
                    <span className="truncate text-sm font-semibold">
                      {displayName(member.user)}
                      {isMe ? <span className="font-normal text-muted-foreground"> (you)</span> : null}
                    </span>
                    <span className="truncate text-[0.8rem] text-muted-foreground">{member.user.email}</span>
                  </span>
                  {member.role === "owner" ? (
                    <Badge variant="secondary" data-testid="member-role">
                      Owner
                    </Badge>
                  ) : null}
                  {owner && !isMe ? (
                    <Button
                      variant="ghost"
                      size="sm"
                      data-testid="remove-member"
                      aria-label={`Remove ${displayName(member.user)}`}
                      disabled={busy}
                      onClick={() => {
                        setAction({ status: "idle" });
                        setConfirm({ kind: "remove", user: member.user });
                      }}
                    >
                      Remove
                    </Button>
                  ) : null}
                </li>
              );
            })}
          </ul>
        ) : (
          <p className="text-sm text-muted-foreground" role="status">
            <Spinner /> Loading members…
          </p>
        )}
      </section>

      {owner && members ? (
        <section className={sectionClassName} aria-label="Add people">
          <PeoplePicker picked={adding} onChange={setAdding} excluded={new Set(members.map((member) => member.user.id))} />
          <Button
            className="mt-3"
            data-testid="add-members"
            disabled={busy || adding.length === 0}
            onClick={() =>
              void run(
                "add",
                () => onAdd(adding.map((person) => person.id)),
                () => setAdding([]),
              )
            }
          >
            {action.status === "busy" && action.what === "add" ? <Spinner /> : null}
            Add {adding.length > 0 ? adding.length : ""} {adding.length === 1 ? "person" : "people"}
          </Button>
        </section>
      ) : null}

      {action.status === "error" ? <ErrorLine message={action.message} /> : null}

      <DialogFooter align="between">
        <Button
          variant="destructive"
          data-testid="leave-group"
          onClick={() => {
            setAction({ status: "idle" });
            setConfirm({ kind: "leave" });
          }}
        >
          Leave group
        </Button>
        <Button onClick={close}>Done</Button>
      </DialogFooter>
    </>
  );
}

function ErrorLine({ message }: { message: string }) {
  return (
    <p className="mx-6 mt-3 rounded-lg bg-destructive-soft px-3 py-2 text-sm text-destructive" role="alert" data-testid="group-error">
      {message}
    </p>
  );
}

const sectionClassName = "border-b border-border px-6 py-4";
