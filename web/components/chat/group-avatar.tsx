import type { UserProfile } from "@/lib/types";
import { cn } from "@/lib/utils";
import { UserAvatar } from "./avatar";

interface GroupAvatarProps {
  /** The first few members (the list's preview); the first two show, stacked. */
  members: Pick<UserProfile, "id" | "email" | "displayName">[];
  /** Leaves these out (me: a group's picture shows the others). */
  exclude?: string;
  size?: "md" | "lg";
  className?: string;
}

/** A group's picture: two members' initials stacked diagonally, in the space of one avatar. Decorative. */
export function GroupAvatar({ members, exclude, size = "md", className }: GroupAvatarProps) {
  const others = members.filter((member) => member.id !== exclude);
  const shown = (others.length >= 2 ? others : members).slice(0, 2);
  return (
    <span
      className={cn("relative inline-block flex-none", size === "lg" ? "size-14" : "size-[42px]", className)}
      aria-hidden="true"
      data-testid="group-avatar"
    >
      {shown.map((member, index) => (
        <UserAvatar
          key={member.id}
          user={member}
          size="none"
          position="absolute"
          short
          className={cn(
            "shadow-[0_0_0_2px_var(--card)]",
            size === "lg" ? "size-9 text-[0.7rem]" : "size-[27px] text-[0.72rem]",
            index === 0 ? "top-0 left-0" : "right-0 bottom-0",
          )}
        />
      ))}
    </span>
  );
}

/** Up to `max` members' avatars overlapping in a row (the group header). Decorative. */
export function AvatarStack({ members, max = 4 }: { members: Pick<UserProfile, "id" | "email" | "displayName">[]; max?: number }) {
  return (
    <span className="flex flex-none -space-x-2" aria-hidden="true">
      {members.slice(0, max).map((member) => (
        <UserAvatar key={member.id} user={member} size="none" short className="size-6 text-[0.65rem] shadow-[0_0_0_2px_var(--card)]" />
      ))}
    </span>
  );
}
