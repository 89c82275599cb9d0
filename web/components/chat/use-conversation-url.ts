import { useCallback, useEffect, useRef } from "react";
import type { ChatClient, ConversationTarget } from "@/lib/chat/client";

const BASE = "/chat";
// `/chat/g/<conversation id>`: a group. Peer ids are uuids, so never "g".
const GROUP_SEGMENT = "g";

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * What a path names: `/chat/<peerId>` the direct conversation with that person,
 * `/chat/g/<conversationId>` a group; null for `/chat` (and anything else).
 */
export function targetFromPath(pathname: string): ConversationTarget | null {
  const group = /^\/chat\/g\/([^/]+)\/?$/.exec(pathname);
  if (group) return { kind: "group", conversationId: decode(group[1]!) };
  const direct = /^\/chat\/([^/]+)\/?$/.exec(pathname);
  return direct ? { kind: "direct", peerId: decode(direct[1]!) } : null;
}

/** The peer id in `/chat/<peerId>`, or null for anything else. */
export function peerIdFromPath(pathname: string): string | null {
  const target = targetFromPath(pathname);
  return target?.kind === "direct" ? target.peerId : null;
}

export function conversationPath(target: ConversationTarget | null): string {
  if (!target) return BASE;
  if (target.kind === "group") return `${BASE}/${GROUP_SEGMENT}/${encodeURIComponent(target.conversationId)}`;
  return `${BASE}/${encodeURIComponent(target.peerId)}`;
}

// Marks the history entries this page added: Back from one of them stays in the app.
const PUSHED = "chatPushed";

/**
 * One URL per conversation. The URL leads on load and on Back/Forward (the client shows what it
 * names); the client leads when the user opens something (a new history entry). Uses the
 * native History API, which Next.js folds into its router: switching conversations costs no
 * server round trip and never remounts the chat.
 */
export function useConversationUrl(client: ChatClient, target: ConversationTarget | null) {
  // Compared as paths: the target is a new object on every render.
  const shown = conversationPath(target);
  // What the address bar says (as a path), as far as we know; undefined until read on mount.
  const url = useRef<string | undefined>(undefined);
  const lastShown = useRef(shown);

  useEffect(() => {
    const follow = () => {
      const named = targetFromPath(window.location.pathname);
      url.current = conversationPath(named);
      client.showConversation(named);
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
    window.history.pushState({ [PUSHED]: true }, "", shown);
  }, [shown]);

  /** The in-app back button (phone layout): like the browser's Back when we came from the list. */
  const back = useCallback(() => {
    if ((window.history.state as Record<string, unknown> | null)?.[PUSHED]) return window.history.back();
    // Landed here from a link: the list replaces this entry (Back then leaves, as it would have).
    url.current = BASE;
    window.history.replaceState(null, "", BASE);
    client.closeConversation();
  }, [client]);

  return { back };
}
