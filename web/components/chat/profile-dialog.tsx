import { useId, useState, type FormEvent, type RefObject } from "react";
import { ApiError } from "@/lib/client/api";
import { DISPLAY_NAME_MAX } from "@/lib/limits";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input, Label } from "@/components/ui/input";
import { cn } from "@/lib/utils";
import { UserAvatar } from "./avatar";
import { displayName, emailName } from "./format";
import type { ProfileMenuProps } from "./profile-menu";

type SaveState = { status: "idle" } | { status: "saving" } | { status: "saved" } | { status: "error"; message: string };

function describeSaveError(error: unknown): string {
  if (error instanceof ApiError && error.status === 422) {
    const details = Array.isArray(error.details) ? (error.details as { message?: string }[]) : [];
    return details[0]?.message ?? "That name cannot be used.";
  }
  return error instanceof Error ? error.message : "Could not save.";
}

/**
 * The profile dialog: display name, notifications (the only place that asks the browser's
 * permission), and signing out. Radix's dialog: focus moves in and back, Escape closes it, the
 * page behind is inert. Loaded on the first open (not part of the page's first load).
 */
export default function ProfileDialog({
  open,
  setOpen,
  returnFocusTo,
  ...props
}: ProfileMenuProps & { open: boolean; setOpen(open: boolean): void; returnFocusTo: RefObject<HTMLElement | null> }) {
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogContent
        data-testid="profile-dialog"
        // The dialog has no Radix trigger: give the focus back to the app bar's button.
        onCloseAutoFocus={(event) => {
          event.preventDefault();
          returnFocusTo.current?.focus();
        }}
      >
        {/* Mounted while open only: the form starts from the saved name each time. */}
        <ProfileSettings {...props} />
      </DialogContent>
    </Dialog>
  );
}

function ProfileSettings({ profile, notifications, onSaveName, onNotifications, onSignOut }: ProfileMenuProps) {
  const [name, setName] = useState(profile.displayName ?? "");
  const [save, setSave] = useState<SaveState>({ status: "idle" });
  const nameId = useId();
  const nameHintId = useId();
  const notificationsId = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSave({ status: "saving" });
    try {
      await onSaveName(name);
      setSave({ status: "saved" });
    } catch (error) {
      setSave({ status: "error", message: describeSaveError(error) });
    }
  };

  const unchanged = name.trim() === (profile.displayName ?? "");

  return (
    <>
      <DialogHeader>
        <DialogTitle>Profile and settings</DialogTitle>
        <DialogDescription className="sr-only">Your display name, notifications, and signing out.</DialogDescription>
      </DialogHeader>

      <div className="flex items-center gap-4 border-b border-border px-6 pt-3 pb-5">
        <UserAvatar user={profile} size="lg" />
        <div className="min-w-0">
          <p className="text-[1.05rem] font-semibold">{displayName(profile)}</p>
          <p className="truncate text-muted-foreground">{profile.email}</p>
        </div>
      </div>

      <form className={sectionClassName} onSubmit={submit}>
        <Label htmlFor={nameId}>Display name</Label>
        <div className="flex gap-2">
          <Input
            id={nameId}
            data-testid="display-name-input"
            value={name}
            maxLength={DISPLAY_NAME_MAX}
            placeholder={emailName(profile.email)}
            autoComplete="nickname"
            aria-describedby={nameHintId}
            aria-invalid={save.status === "error" || undefined}
            onChange={(event) => {
              setName(event.target.value);
              setSave({ status: "idle" });
            }}
          />
          <Button type="submit" variant="primary" data-testid="display-name-save" disabled={save.status === "saving" || unchanged}>
            {save.status === "saving" ? "Saving…" : "Save"}
          </Button>
        </div>
        <p id={nameHintId} className={hintClassName} role="status">
          {save.status === "error" ? (
            <span className="text-sm text-destructive">{save.message}</span>
          ) : save.status === "saved" ? (
            <span className="text-success-foreground">Saved. People you chat with see this name.</span>
          ) : (
            <>Shown to the people you chat with. Leave it empty to go by “{emailName(profile.email)}”.</>
          )}
        </p>
      </form>

      <section className={sectionClassName} aria-labelledby={notificationsId}>
        <h3 id={notificationsId} className="mb-[0.35rem] text-sm font-semibold">
          Notifications
        </h3>
        <NotificationSetting notifications={notifications} onChange={onNotifications} />
      </section>

      <DialogFooter>
        <Button variant="destructive" data-testid="sign-out" onClick={onSignOut}>
          Sign out
        </Button>
      </DialogFooter>
    </>
  );
}

const sectionClassName = "border-b border-border px-6 py-[1.1rem]";
const hintText = "text-[0.8rem] text-muted-foreground";
const hintClassName = `mt-[0.4rem] ${hintText}`;

function NotificationSetting({
  notifications,
  onChange,
}: {
  notifications: ProfileMenuProps["notifications"];
  onChange(enabled: boolean): Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const toggle = async (enabled: boolean) => {
    setBusy(true);
    try {
      await onChange(enabled);
    } finally {
      setBusy(false);
    }
  };

  if (notifications.support === "unsupported") {
    return <p className={hintClassName}>This browser cannot show notifications.</p>;
  }
  if (notifications.support === "denied") {
    return (
      <p className={hintClassName}>
        Notifications are blocked for this site. Allow them in your browser’s site settings, then come back here.
      </p>
    );
  }
  return (
    <div className="flex items-center gap-4">
      <p className={cn(hintText, "flex-1")} data-testid="notifications-state">
        {notifications.enabled
          ? "On: you get a notification for new messages while this tab is in the background."
          : "Off: get a notification for new messages while this tab is in the background."}
      </p>
      <Button data-testid="notifications-toggle" disabled={busy} onClick={() => void toggle(!notifications.enabled)}>
        {notifications.enabled ? "Turn off" : "Turn on"}
      </Button>
    </div>
  );
}
