import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { ChatApp } from "@/components/chat/chat-app";
import { getClientConfig, getPageUser } from "@/server/page-session";

// Just "Chat": the page keeps it as "(3) Chat" while messages are unread.
export const metadata: Metadata = { title: { absolute: "Chat" } };

/**
 * `/chat` (the list), `/chat/<peer id>` (a direct conversation) and `/chat/g/<conversation id>`
 * (a group): one page, so switching conversations (the client changes the URL with the History
 * API) never remounts the chat. The segments are read on the client (`targetFromPath`), which
 * finds the peer or group in the conversation list; a link to anything else shows
 * "No conversation here".
 */
export default async function ChatPage({ params }: { params: Promise<{ peer?: string[] }> }) {
  const { peer } = await params;
  const user = await getPageUser();
  if (!user) {
    // Back here after signing in.
    const next = peer?.length ? `/chat/${peer.map(encodeURIComponent).join("/")}` : null;
    redirect(next ? `/login?next=${encodeURIComponent(next)}` : "/login");
  }
  return <ChatApp user={user} config={getClientConfig()} />;
}
