import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { ChatApp } from "@/components/chat/chat-app";
import { getClientConfig, getPageUser } from "@/server/page-session";

export const metadata: Metadata = { title: "Messages" };

export default async function ChatPage() {
  const user = await getPageUser();
  if (!user) redirect("/login");
  return <ChatApp user={user} socketUrl={getClientConfig().socketUrl} />;
}
