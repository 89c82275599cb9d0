import type { ChatMessage } from "@/lib/types";
import type { ChatClient } from "./client";
import type { ChatState } from "./chat-state";

/** Most older pages loaded to reach a message (50 messages each); an older one is reported as not reached. */
export const JUMP_MAX_PAGES = 20;
/** Messages of context wanted before the target: fewer held, one more page is loaded. */
const CONTEXT_BEFORE = 5;

/** Resolves with the first state that satisfies `done` (now or after a change). */
function until(client: Pick<ChatClient, "getState" | "subscribe">, done: (state: ChatState) => boolean): Promise<ChatState> {
  return new Promise((resolve) => {
    if (done(client.getState())) return resolve(client.getState());
    const stop = client.subscribe(() => {
      const state = client.getState();
      if (!done(state)) return;
      stop();
      resolve(state);
    });
  });
}

const settled = (conversationId: string) => (state: ChatState) =>
  state.view === null || state.view.conversationId !== conversationId || state.view.loading === null;

/**
 * Opens the message's conversation with the message in context: the latest page, then older
 * pages (history `before=`) until the message and a few before it are held, so the view stays
 * one contiguous run up to the newest message (live messages and catch-up go on as usual).
 * Resolves true once the message is in the view; false when it cannot be reached (not one of
 * our listed conversations, a load failed, or more than JUMP_MAX_PAGES pages back).
 */
export async function jumpToMessage(client: ChatClient, message: Pick<ChatMessage, "id" | "conversationId" | "seq">): Promise<boolean> {
  const { conversationId } = message;
  await client.openConversationById(conversationId);
  for (let page = 0; ; page += 1) {
    const { view } = await until(client, settled(conversationId));
    if (!view || view.conversationId !== conversationId || view.error) return false;
    const index = view.messages.findIndex((held) => held.id === message.id);
    const oldest = view.messages[0];
    const needsOlder = view.hasOlder && (index === -1 ? oldest !== undefined && oldest.seq > message.seq : index < CONTEXT_BEFORE);
    if (!needsOlder || page >= JUMP_MAX_PAGES) return index !== -1;
    await client.loadOlder();
  }
}
