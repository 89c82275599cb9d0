import { lazy, Suspense, useRef, useState } from "react";
import type { NotificationSupport } from "@/lib/client/notifications";
import type { UserProfile } from "@/lib/types";
import { UserAvatar } from "./avatar";
import { displayName } from "./format";

export interface ProfileMenuProps {
  profile: UserProfile;
  notifications: { support: NotificationSupport; enabled: boolean };
  onSaveName(name: string): Promise<unknown>;
  onNotifications(enabled: boolean): Promise<void>;
  onSignOut(): void;
}

// Not needed for the first paint: fetched when the user points at the button, or opens it.
const loadDialog = () => import("./profile-dialog");
const ProfileDialog = lazy(loadDialog);

/** The signed-in user's button in the app bar, and the profile dialog it opens. */
export function ProfileMenu(props: ProfileMenuProps) {
  const { profile } = props;
  const [open, setOpen] = useState(false);
  const [used, setUsed] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);

  return (
    <>
      <button
        ref={buttonRef}
        type="button"
        className="flex min-w-0 items-center gap-[0.6rem] rounded-full border border-transparent py-1 pr-3 pl-1 text-left hover:border-border hover:bg-hover phone:p-[0.2rem]"
        data-testid="profile-button"
        aria-haspopup="dialog"
        aria-expanded={open}
        onPointerEnter={() => void loadDialog()}
        onFocus={() => void loadDialog()}
        onClick={() => {
          setUsed(true);
          setOpen(true);
        }}
      >
        <UserAvatar user={profile} size="sm" />
        <span className="flex min-w-0 flex-col phone:hidden">
          <span className="truncate text-sm leading-tight font-semibold" data-testid="current-user-name">
            {displayName(profile)}
          </span>
          <span className="truncate text-xs leading-tight text-muted-foreground" data-testid="current-user">
            {profile.email}
          </span>
        </span>
        <span className="sr-only">Profile and settings</span>
      </button>
      {used ? (
        <Suspense fallback={null}>
          <ProfileDialog {...props} open={open} setOpen={setOpen} returnFocusTo={buttonRef} />
        </Suspense>
      ) : null}
    </>
  );
}
