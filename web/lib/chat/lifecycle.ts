import { isUnauthorized } from "@/lib/client/api";
import type { ChatMessage } from "@/lib/types";
import type { ChatCore } from "./core";

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

  async function apply(request: Promise<ChatMessage>): Promise<ChatMessage> {
    try {
      const message = await request;
      core.dispatch({ type: "message/updated", message });
      return message;
    } catch (error) {
      if (isUnauthorized(error)) core.endSession();
      throw error;
    }
  }

  const react = (messageId: string, emoji: string) => apply(api.addReaction(messageId, emoji));
  const unreact = (messageId: string, emoji: string) => apply(api.removeReaction(messageId, emoji));

  return {
    edit: (messageId, content) => apply(api.editMessage(messageId, content)),
    delete: (messageId) => apply(api.deleteMessage(messageId)),
    react,
    unreact,
    toggleReaction(messageId, emoji) {
      const held = core.getState().view?.messages.find((message) => message.id === messageId);
      const mine = held?.reactions?.some((reaction) => reaction.emoji === emoji && reaction.userIds.includes(user.id)) ?? false;
      return mine ? unreact(messageId, emoji) : react(messageId, emoji);
    },
  };
}
