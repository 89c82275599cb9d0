/**
 * Browser notifications for messages that arrive while the tab is hidden. Permission is only
 * ever asked from a button (browsers ignore or penalise prompts nobody asked for), and the
 * user can turn them off here without touching the browser's settings.
 */

export type NotificationSupport = "unsupported" | NotificationPermission;

export function notificationSupport(): NotificationSupport {
  if (typeof window === "undefined" || !("Notification" in window)) return "unsupported";
  return Notification.permission;
}

const preferenceKey = (userId: string) => `chat:notify:v1:${userId}`;

/** On unless turned off in this browser; they show only once the browser allows them too. */
export function readNotifyPreference(userId: string): boolean {
  try {
    return localStorage.getItem(preferenceKey(userId)) !== "off";
  } catch {
    return true;
  }
}

export function writeNotifyPreference(userId: string, on: boolean): void {
  try {
    localStorage.setItem(preferenceKey(userId), on ? "on" : "off");
  } catch {
    // Storage blocked: the choice lasts for this page only.
  }
}

/** Asks the browser (call from a click). */
export async function requestNotifications(): Promise<NotificationSupport> {
  if (notificationSupport() === "unsupported") return "unsupported";
  try {
    return await Notification.requestPermission();
  } catch {
    return notificationSupport();
  }
}

export interface MessageNotification {
  title: string;
  body: string;
  /** One notification per conversation: a newer message replaces the older one. */
  tag: string;
  onClick(): void;
}

/** Shows it when the browser allows; false otherwise (blocked, unsupported, or it threw). */
export function showNotification({ title, body, tag, onClick }: MessageNotification): boolean {
  if (notificationSupport() !== "granted") return false;
  try {
    const notification = new Notification(title, { body, tag });
    notification.onclick = () => {
      window.focus();
      onClick();
      notification.close();
    };
    return true;
  } catch {
    // Some mobile browsers allow notifications only through a service worker.
    return false;
  }
}

/** A preview short enough for a notification. */
export function notificationBody(content: string, max = 140): string {
  const flat = content.replace(/\s+/g, " ").trim();
  const chars = [...flat];
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : flat;
}
