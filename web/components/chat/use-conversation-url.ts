import { useCallback, useEffect, useRef } from "react";
import type { ChatClient } from "@/lib/chat/client";

const BASE = "/chat";

/** The peer id in `/chat/<peerId>`, or null for `/chat` (and anything else). */
export function peerIdFromPath(pathname: string): string | null {
  const match = /^\/chat\/([^/]+)\/?$/.exec(pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return match[1]!;
  }
}

export function conversationPath(peerId: string | null): string {
  return peerId ? `${BASE}/${encodeURIComponent(peerId)}` : BASE;
}

// Marks the history entries this page added: Back from one of them stays in the app.
const PUSHED = "chatPushed";

/**
 * One URL per conversation. The URL leads on load and on Back/Forward (the client shows what it
 * names); the client leads when the user opens something (a new history entry). Uses the
 * native History API, which Next.js folds into its router: switching conversations costs no
 * server round trip and never remounts the chat.
 */
export function useConversationUrl(client: ChatClient, shown: string | null) {
  // What the address bar says, as far as we know; undefined until read on mount.
  const url = useRef<string | null | undefined>(undefined);
  const lastShown = useRef(shown);

  useEffect(() => {
    const follow = () => {
      url.current = peerIdFromPath(window.location.pathname);
      client.showConversation(url.current);
    };
    follow();
    window.addEventListener("popstate", follow);
    return () => window.removeEventListener("popstate", follow);
  }, [client]);

  useEffect(() => {
    const changed = lastShown.current !== shown;
    lastShown.current = shown;
    if (!changed || url.current === undefined || shown === url.current) return;
    url.current = shown;
    window.history.pushState({ [PUSHED]: true }, "", conversationPath(shown));
  }, [shown]);

  /** The in-app back button (phone layout): like the browser's Back when we came from the list. */
  const back = useCallback(() => {
    if ((window.history.state as Record<string, unknown> | null)?.[PUSHED]) return window.history.back();
    // Landed here from a link: the list replaces this entry (Back then leaves, as it would have).
    url.current = null;
    window.history.replaceState(null, "", BASE);
    client.closeConversation();
  }, [client]);

  return { back };
}
