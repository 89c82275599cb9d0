import { lazy, Suspense } from "react";
import type { NotificationSupport } from "@/lib/client/notifications";
import type { UserProfile } from "@/lib/types";
import { useDialogOnDemand } from "@/components/ui/on-demand";
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
  const dialog = useDialogOnDemand(loadDialog);

  return (
    <>
      <button
        type="button"
        className="flex min-w-0 items-center gap-[0.6rem] rounded-full border border-transparent py-1 pr-3 pl-1 text-left hover:border-border hover:bg-hover phone:p-[0.2rem]"
        data-testid="profile-button"
        {...dialog.triggerProps}
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
      {dialog.used ? (
        <Suspense fallback={null}>
          <ProfileDialog {...props} open={dialog.open} setOpen={dialog.setOpen} returnFocusTo={dialog.triggerRef} />
        </Suspense>
      ) : null}
    </>
  );
}
