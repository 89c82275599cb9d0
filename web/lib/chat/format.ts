import type { UserProfile } from "@/lib/types";

/** The email's local part: what a user is called until they choose a display name. */
export function emailName(email: string): string {
  const local = email.split("@")[0]?.trim();
  return local || email;
}

/** How a user is shown: their display name, else their email's local part. */
export function displayName(user: Pick<UserProfile, "email" | "displayName">): string {
  return user.displayName?.trim() || emailName(user.email);
}

/** Up to two letters for an avatar: from the display name, else the email's local part. */
export function initials(user: UserProfile): string {
  const source = user.displayName?.trim() || user.email.split("@")[0] || "?";
  const words = source.split(/[\s._-]+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[1]] : [source];
  return (
    letters
      .map((word) => [...(word ?? "")][0] ?? "")
      .join("")
      .toUpperCase() || "?"
  );
}

/** A stable hue per user, so each avatar keeps its colour. */
export function avatarHue(id: string): number {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % 360;
}

/** Length as the server counts it (Unicode code points, not UTF-16 units). */
export function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length += 1;
  return length;
}

const startOfDay = (date: Date) => new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
const DAY_MS = 86_400_000;

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" });
}

/** Conversation list: a time today, a weekday this week, a date before that. */
export function formatListTime(iso: string, now = new Date()): string {
  const date = new Date(iso);
  const days = Math.round((startOfDay(now) - startOfDay(date)) / DAY_MS);
  if (days <= 0) return formatTime(iso);
  if (days < 7) return date.toLocaleDateString(undefined, { weekday: "short" });
  const sameYear = date.getFullYear() === now.getFullYear();
  return date.toLocaleDateString(undefined, { month: "short", day: "numeric", year: sameYear ? undefined : "numeric" });
}

/** Day divider in the message list. */
export function formatDay(iso: string, now = new Date()): string {
  const date = new Date(iso);
  const days = Math.round((startOfDay(now) - startOfDay(date)) / DAY_MS);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  const sameYear = date.getFullYear() === now.getFullYear();
  return date.toLocaleDateString(undefined, {
    weekday: "long",
    month: "long",
    day: "numeric",
    year: sameYear ? undefined : "numeric",
  });
}

export function dayKey(iso: string): string {
  const date = new Date(iso);
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

/**
 * "Last seen …" for an offline user, precise while recent: just now, minutes, hours,
 * then a day and time.
 */
export function formatLastSeen(iso: string, now = new Date()): string {
  const date = new Date(iso);
  const minutes = Math.floor((now.getTime() - date.getTime()) / 60_000);
  if (minutes < 1) return "last seen just now";
  if (minutes < 60) return `last seen ${minutes} min ago`;
  const days = Math.round((startOfDay(now) - startOfDay(date)) / DAY_MS);
  if (minutes < 6 * 60 && days === 0) {
    const hours = Math.floor(minutes / 60);
    return `last seen ${hours} ${hours === 1 ? "hour" : "hours"} ago`;
  }
  if (days <= 0) return `last seen today at ${formatTime(iso)}`;
  if (days === 1) return `last seen yesterday at ${formatTime(iso)}`;
  if (days < 7) return `last seen ${date.toLocaleDateString(undefined, { weekday: "long" })}`;
  const sameYear = date.getFullYear() === now.getFullYear();
  return `last seen ${date.toLocaleDateString(undefined, { month: "short", day: "numeric", year: sameYear ? undefined : "numeric" })}`;
}
