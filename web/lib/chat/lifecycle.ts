import { isUnauthorized } from "@/lib/client/api";
import type { ChatMessage } from "@/lib/types";
import { describeError, type ChatCore } from "./core";

/** Edit, delete, react: each answers the message as it is now, which the state takes at once. */
export interface MessageActions {
  /** Throws the API's error (422 `edit_window_closed`, `validation_failed`, 409 `message_deleted`…) for the editor to show. */
  edit(messageId: string, content: string): Promise<ChatMessage>;
  delete(messageId: string): Promise<ChatMessage>;
  react(messageId: string, emoji: string): Promise<ChatMessage>;
  unreact(messageId: string, emoji: string): Promise<ChatMessage>;
  /** Adds my reaction with this emoji, or removes it when I already reacted so. */
  toggleReaction(messageId: string, emoji: string): Promise<ChatMessage>;
}

export function createMessageActions(core: ChatCore): MessageActions {
  const { api, user } = core.deps;

  /** `failure`: what the notice says when it fails (an edit's error shows in its editor instead). */
  async function apply(messageId: string, request: () => Promise<ChatMessage>, failure?: string): Promise<ChatMessage> {
    const view = core.getState().view;
    const since = view?.pos ?? null;
    const held = view?.messages.find((message) => message.id === messageId) ?? null;
    try {
      const message = await request();
      core.dispatch({ type: "message/updated", message, since, held });
      return message;
    } catch (error) {
      if (isUnauthorized(error)) core.endSession();
      else if (failure) core.dispatch({ type: "notice/changed", notice: `${failure}: ${describeError(error)}` });
      throw error;
    }
  }

  const react = (messageId: string, emoji: string) =>
    apply(messageId, () => api.addReaction(messageId, emoji), "Could not add the reaction");
  const unreact = (messageId: string, emoji: string) =>
    apply(messageId, () => api.removeReaction(messageId, emoji), "Could not remove the reaction");

  return {
    edit: (messageId, content) => apply(messageId, () => api.editMessage(messageId, content)),
    delete: (messageId) => apply(messageId, () => api.deleteMessage(messageId), "Could not delete the message"),
    react,
    unreact,
    toggleReaction(messageId, emoji) {
      const held = core.getState().view?.messages.find((message) => message.id === messageId);
      const mine = held?.reactions?.some((reaction) => reaction.emoji === emoji && reaction.userIds.includes(user.id)) ?? false;
      return mine ? unreact(messageId, emoji) : react(messageId, emoji);
    },
  };
}
