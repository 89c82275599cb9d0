import { notificationBody } from "@/lib/client/notifications";
import type { ChatMessage } from "@/lib/types";
import { displayName } from "@/lib/chat/format";
import { conversationWith } from "./chat-state";
import type { ChatCore } from "./core";

const preferenceKey = (userId: string) => `chat:notify:v1:${userId}`;

/**
 * System notifications for a peer's message while the page is hidden: shown when the browser
 * allows them and the user has not turned them off here; one per message, clicking opens it.
 */
export function createNotifications(core: ChatCore, openPeer: (peerId: string) => void) {
  const { page, storage, user } = core.deps;
  const notified = new Set<string>();

  const readPreference = () => {
    try {
      return storage.local.getItem(preferenceKey(user.id)) !== "off";
    } catch {
      return true;
    }
  };

  const notify = (message: ChatMessage) => {
    const state = core.getState();
    if (message.senderId === user.id || page.isVisible()) return;
    if (!state.notifications.enabled || notified.has(message.id)) return;
    notified.add(message.id);
    const peer = conversationWith(state, message.senderId)?.peer;
    page.notifications.show({
      title: peer ? displayName(peer) : "New message",
      body: notificationBody(message.content),
      tag: message.conversationId,
      onClick: () => openPeer(message.senderId),
    });
  };

  return {
    /** From a button only: the browser's permission prompt, then our own switch. */
    async setEnabled(enabled: boolean) {
      let support = page.notifications.support();
      if (enabled && support === "default") support = await page.notifications.request();
      const on = enabled && support === "granted";
      try {
        storage.local.setItem(preferenceKey(user.id), on ? "on" : "off");
      } catch {
        // Storage blocked: the choice lasts for this page only.
      }
      core.dispatch({ type: "notifications/changed", support, enabled: on });
    },
    start() {
      const support = page.notifications.support();
      core.dispatch({ type: "notifications/changed", support, enabled: support === "granted" && readPreference() });
      return core.on("message", notify);
    },
  };
}
