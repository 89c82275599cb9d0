import { useEffect, useState, useSyncExternalStore } from "react";
import { createBrowserChatClient, type ClientConfig } from "@/lib/chat/browser";
import type { ChatClient } from "@/lib/chat/client";
import type { AuthUser } from "@/lib/types";

/**
 * The chat of the signed-in user: the client core (`lib/chat`) owns state and behaviour; this
 * hook only creates it for the page, starts it while mounted, and re-renders on its changes.
 */
export function useChat(user: AuthUser, config: ClientConfig) {
  // Created once per user and config (by value: the server component sends a new object each
  // render); creating has no side effects (start() connects).
  const key = `${user.id} ${config.socketUrl} ${config.attachmentMaxBytes}`;
  const [client, setClient] = useState<{ key: string; client: ChatClient }>(() => ({
    key,
    client: createBrowserChatClient(user, config),
  }));
  if (client.key !== key) setClient({ key, client: createBrowserChatClient(user, config) });
  const chat = client.client;

  useEffect(() => chat.start(), [chat]);
  const state = useSyncExternalStore(chat.subscribe, chat.getState, chat.getState);
  return { state, client: chat };
}
