import { lazy, Suspense, useState } from "react";
import type { NotificationSupport } from "@/lib/client/notifications";
import type { UserProfile } from "@/lib/types";
import { Avatar } from "./avatar";
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

  return (
    <>
      <button
        type="button"
        className="profile-button"
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
        <Avatar user={profile} size="sm" />
        <span className="profile-button-text">
          <span className="profile-button-name" data-testid="current-user-name">
            {displayName(profile)}
          </span>
          <span className="profile-button-email" data-testid="current-user">
            {profile.email}
          </span>
        </span>
        <span className="sr-only">Profile and settings</span>
      </button>
      {used ? (
        <Suspense fallback={null}>
          <ProfileDialog {...props} open={open} setOpen={setOpen} />
        </Suspense>
      ) : null}
    </>
  );
}
