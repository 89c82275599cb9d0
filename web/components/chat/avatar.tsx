import type { CSSProperties } from "react";
import type { UserProfile } from "@/lib/types";
import { cn } from "@/lib/utils";
import { Avatar, AvatarFallback } from "@/components/ui/avatar";
import { avatarHue, initials } from "./format";

interface UserAvatarProps {
  user: Pick<UserProfile, "id" | "email" | "displayName">;
  /** `none`: sized by `className` (with the initials' font size). */
  size?: "sm" | "md" | "lg" | "none";
  /** `absolute`: placed by `className` (a group's overlapping pictures). */
  position?: "relative" | "absolute";
  /** Shows a presence dot: true online, false offline, undefined not shown. */
  online?: boolean;
  /** A tooltip (e.g. "Last seen 5 min ago"); the avatar itself stays hidden from screen readers. */
  title?: string;
  className?: string;
  /** One letter instead of two (small, overlapping avatars: a group's picture, a row of faces). */
  short?: boolean;
}

/** Initials on a colour that stays the same for a user everywhere (hashed from the id). Decorative. */
export function UserAvatar({ user, size = "md", position, online, title, className, short }: UserAvatarProps) {
  const letters = initials(user);
  return (
    <Avatar
      size={size}
      tone="none"
      position={position}
      // The hue is per user: a CSS variable the colour classes read.
      style={{ "--avatar-hue": avatarHue(user.id) } as CSSProperties}
      className={cn(
        "bg-[hsl(var(--avatar-hue)_70%_88%)] text-[hsl(var(--avatar-hue)_55%_28%)] dark:bg-[hsl(var(--avatar-hue)_35%_28%)] dark:text-[hsl(var(--avatar-hue)_80%_86%)]",
        className,
      )}
      title={title}
      aria-hidden="true"
    >
      <AvatarFallback>{short ? [...letters][0] : letters}</AvatarFallback>
      {online ? <PresenceDot /> : null}
    </Avatar>
  );
}

/** Online: a green dot on the avatar's corner, ringed in the surface colour. */
function PresenceDot() {
  return (
    <span
      className="absolute -right-px -bottom-px size-[31%] min-h-2.5 min-w-2.5 rounded-full bg-success shadow-[0_0_0_2px_var(--card)]"
      data-testid="presence-dot"
    />
  );
}
