import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { ChatApp } from "@/components/chat/chat-app";
import { getClientConfig, getPageUser } from "@/server/page-session";

// Just "Chat": the page keeps it as "(3) Chat" while messages are unread.
export const metadata: Metadata = { title: { absolute: "Chat" } };

export default async function ChatPage() {
  const user = await getPageUser();
  if (!user) redirect("/login");
  return <ChatApp user={user} socketUrl={getClientConfig().socketUrl} />;
}
