import { useEffect, useState, useSyncExternalStore } from "react";
import { createBrowserChatClient } from "@/lib/chat/browser";
import type { ChatClient } from "@/lib/chat/client";
import type { AuthUser } from "@/lib/types";

/**
 * The chat of the signed-in user: the client core (`lib/chat`) owns state and behaviour; this
 * hook only creates it for the page, starts it while mounted, and re-renders on its changes.
 */
export function useChat(user: AuthUser, socketUrl: string) {
  // Created once per user and socket URL; creating has no side effects (start() connects).
  const [client, setClient] = useState<{ key: string; client: ChatClient }>(() => ({
    key: `${user.id} ${socketUrl}`,
    client: createBrowserChatClient(user, socketUrl),
  }));
  const key = `${user.id} ${socketUrl}`;
  if (client.key !== key) setClient({ key, client: createBrowserChatClient(user, socketUrl) });
  const chat = client.client;

  useEffect(() => chat.start(), [chat]);
  const state = useSyncExternalStore(chat.subscribe, chat.getState, chat.getState);
  return { state, client: chat };
}
