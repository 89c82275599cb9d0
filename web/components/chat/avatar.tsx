import type { CSSProperties } from "react";
import type { UserProfile } from "@/lib/types";
import { avatarHue, initials } from "./format";

export function Avatar({ user, size = "md" }: { user: UserProfile; size?: "sm" | "md" }) {
  return (
    <span className={`avatar avatar-${size}`} style={{ "--avatar-hue": avatarHue(user.id) } as CSSProperties} aria-hidden="true">
      {initials(user)}
    </span>
  );
}
