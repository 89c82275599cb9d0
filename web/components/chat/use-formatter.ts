import { useSyncExternalStore } from "react";
import { formatterReady, subscribeFormatter } from "@/lib/chat/message-format";

/**
 * Renders the caller again once the Markdown formatter (marked, loaded on first use) is in, so
 * a message shown as typed while it loaded gets its formatting. The server renders as typed.
 */
export function useFormatter(): boolean {
  return useSyncExternalStore(subscribeFormatter, formatterReady, () => false);
}
