import type { CSSProperties } from "react";
import type { UserProfile } from "@/lib/types";
import { avatarHue, initials } from "./format";

interface AvatarProps {
  user: Pick<UserProfile, "id" | "email" | "displayName">;
  size?: "sm" | "md" | "lg";
  /** Shows a presence dot: true online, false offline, undefined not shown. */
  online?: boolean;
  /** A tooltip (e.g. "Last seen 5 min ago"); the avatar itself stays hidden from screen readers. */
  title?: string;
}

/** Initials on a colour that stays the same for a user everywhere (hashed from the id). Decorative. */
export function Avatar({ user, size = "md", online, title }: AvatarProps) {
  return (
    <span
      className={`avatar avatar-${size}`}
      style={{ "--avatar-hue": avatarHue(user.id) } as CSSProperties}
      title={title}
      aria-hidden="true"
    >
      {initials(user)}
      {online ? <span className="presence-dot" data-testid="presence-dot" /> : null}
    </span>
  );
}
