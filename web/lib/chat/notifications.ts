import { notificationBody } from "@/lib/client/notifications";
import { conversationTitle, nameOf } from "@/lib/chat/format";
import { previewText } from "./attachment-format";
import { conversationById } from "./chat-state";
import type { ChatCore } from "./core";
import { formatterFor } from "./message-format";
import type { ChatMessage } from "@/lib/types";

const preferenceKey = (userId: string) => `chat:notify:v1:${userId}`;

/**
 * System notifications for someone else's message while the page is hidden: shown when the
 * browser allows them and the user has not turned them off here; one per message, clicking
 * opens its conversation. Membership changes (system messages) show in the timeline only.
 */
export function createNotifications(core: ChatCore, openConversation: (conversationId: string) => void) {
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
    if (message.senderId === user.id || message.kind === "system" || page.isVisible()) return;
    if (!state.notifications.enabled || notified.has(message.id)) return;
    notified.add(message.id);
    const conversation = conversationById(state, message.conversationId);
    const group = conversation?.kind === "group";
    const title = conversation ? conversationTitle(conversation) : "New message";
    // In a group, who wrote it goes first.
    const show = () => {
      const body = group ? `${nameOf(state.people, message.senderId)}: ${previewText(message)}` : previewText(message);
      page.notifications.show({
        title,
        body: notificationBody(body),
        tag: message.conversationId,
        onClick: () => openConversation(message.conversationId),
      });
    };
    // A formatted message waits for the formatter (loaded on first use) rather than showing its markers.
    const formatter = formatterFor(message.content);
    if (formatter) void formatter.then(show, show);
    else show();
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
