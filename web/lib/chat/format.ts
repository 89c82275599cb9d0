import type { ChatMessage, ConversationSummary, UserProfile } from "@/lib/types";

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

/** A user's name from the profiles we know, for senders and system messages; "Someone" when unknown. */
export function nameOf(people: Record<string, UserProfile>, userId: string, me?: string): string {
  if (userId === me) return "You";
  const person = people[userId];
  return person ? displayName(person) : "Someone";
}

/** "Ann", "Ann and Bob", "Ann, Bob and Cy", "Ann, Bob and 3 others". */
export function listNames(names: string[], max = 3): string {
  if (names.length <= 1) return names[0] ?? "";
  if (names.length <= max) return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
  const others = names.length - (max - 1);
  return `${names.slice(0, max - 1).join(", ")} and ${others} others`;
}

/** Under a conversation: "Ann is typing…", "Ann and Bob are typing…", "Ann, Bob and 2 others are typing…". */
export function typingText(names: string[]): string | null {
  if (names.length === 0) return null;
  return `${listNames(names)} ${names.length === 1 ? "is" : "are"} typing…`;
}

/** A list entry's title: the group's name, or the peer's name. */
export function conversationTitle(conversation: Pick<ConversationSummary, "kind" | "name" | "peer">): string {
  if (conversation.kind === "group") return conversation.name?.trim() || "Group";
  return conversation.peer ? displayName(conversation.peer) : "Conversation";
}

/** A system message as a line of the timeline, e.g. "Ann added Bob and Cy" (`me` reads as "You"). */
export function describeSystemMessage(message: ChatMessage, people: Record<string, UserProfile>, me?: string): string {
  const system = message.system;
  if (!system) return message.content;
  const actor = nameOf(people, system.actorId, me);
  const subjects = listNames(system.userIds.map((id) => nameOf(people, id, me)));
  switch (system.event) {
    case "group_created":
      return system.name ? `${actor} created the group "${system.name}"` : `${actor} created the group`;
    case "member_added":
      return `${actor} added ${subjects}`;
    case "member_removed":
      return `${actor} removed ${subjects}`;
    case "member_left":
      return `${actor} left`;
    case "renamed":
      return `${actor} renamed the group to "${system.name ?? ""}"`;
    case "owner_changed":
      return `${subjects} ${system.userIds.length === 1 ? "is" : "are"} now the owner`;
  }
}

/**
 * A conversation as a person-shaped card (avatar, name) for components built for 1:1: the peer,
 * or the group under its id and name.
 */
export function conversationProfile(conversation: Pick<ConversationSummary, "id" | "kind" | "name" | "peer">): UserProfile {
  if (conversation.kind !== "group" && conversation.peer) return conversation.peer;
  return { id: conversation.id, email: "", displayName: conversationTitle(conversation) };
}
