import { useEffect, useEffectEvent, useId, useRef, useState, type FormEvent } from "react";
import { ApiError } from "@/lib/client/api";
import { DISPLAY_NAME_MAX } from "@/lib/limits";
import { Avatar } from "./avatar";
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
 * permission), and signing out. A native modal <dialog>: focus moves in and back, Escape closes
 * it, the page behind is inert. Loaded on the first open (not part of the page's first load).
 */
export default function ProfileDialog({
  profile,
  notifications,
  onSaveName,
  onNotifications,
  onSignOut,
  open,
  setOpen,
}: ProfileMenuProps & { open: boolean; setOpen(open: boolean): void }) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [name, setName] = useState(profile.displayName ?? "");
  const [save, setSave] = useState<SaveState>({ status: "idle" });
  const titleId = useId();
  const nameId = useId();
  const nameHintId = useId();

  // Reset the form only when it opens, not when the profile changes while it is open.
  const resetForm = useEffectEvent(() => {
    setName(profile.displayName ?? "");
    setSave({ status: "idle" });
  });
  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      resetForm();
      dialog.showModal();
    }
    if (!open && dialog.open) dialog.close();
  }, [open]);

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
    <dialog
      ref={dialogRef}
      className="dialog"
      aria-labelledby={titleId}
      data-testid="profile-dialog"
      onClose={() => setOpen(false)}
      // A click on the backdrop lands on the dialog element itself.
      onClick={(event) => {
        if (event.target === event.currentTarget) setOpen(false);
      }}
    >
      <div className="dialog-body">
        <header className="dialog-header">
          <h2 id={titleId}>Profile and settings</h2>
          <button type="button" className="icon-button" onClick={() => setOpen(false)} aria-label="Close">
            <svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true" focusable="false">
              <path d="M5 5l10 10M15 5L5 15" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
            </svg>
          </button>
        </header>

        <div className="profile-summary">
          <Avatar user={profile} size="lg" />
          <div>
            <p className="profile-summary-name">{displayName(profile)}</p>
            <p className="muted">{profile.email}</p>
          </div>
        </div>

        <form className="dialog-section" onSubmit={submit}>
          <label htmlFor={nameId} className="field-label">
            Display name
          </label>
          <div className="inline-form">
            <input
              id={nameId}
              className="input"
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
            <button
              type="submit"
              className="button button-primary"
              data-testid="display-name-save"
              disabled={save.status === "saving" || unchanged}
            >
              {save.status === "saving" ? "Saving…" : "Save"}
            </button>
          </div>
          <p id={nameHintId} className="field-hint" role="status">
            {save.status === "error" ? (
              <span className="error-text">{save.message}</span>
            ) : save.status === "saved" ? (
              <span className="success-text">Saved. People you chat with see this name.</span>
            ) : (
              <>Shown to the people you chat with. Leave it empty to go by “{emailName(profile.email)}”.</>
            )}
          </p>
        </form>

        <section className="dialog-section" aria-labelledby={`${titleId}-notifications`}>
          <h3 id={`${titleId}-notifications`} className="field-label">
            Notifications
          </h3>
          <NotificationSetting notifications={notifications} onChange={onNotifications} />
        </section>

        <footer className="dialog-footer">
          <button type="button" className="button button-danger" data-testid="sign-out" onClick={onSignOut}>
            Sign out
          </button>
        </footer>
      </div>
    </dialog>
  );
}

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
    return <p className="field-hint">This browser cannot show notifications.</p>;
  }
  if (notifications.support === "denied") {
    return (
      <p className="field-hint">
        Notifications are blocked for this site. Allow them in your browser’s site settings, then come back here.
      </p>
    );
  }
  return (
    <div className="setting-row">
      <p className="field-hint" data-testid="notifications-state">
        {notifications.enabled
          ? "On: you get a notification for new messages while this tab is in the background."
          : "Off: get a notification for new messages while this tab is in the background."}
      </p>
      <button
        type="button"
        className="button"
        data-testid="notifications-toggle"
        disabled={busy}
        onClick={() => void toggle(!notifications.enabled)}
      >
        {notifications.enabled ? "Turn off" : "Turn on"}
      </button>
    </div>
  );
}
