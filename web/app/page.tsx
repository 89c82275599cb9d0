import { redirect } from "next/navigation";
import { getPageUser } from "@/server/page-session";

export default async function HomePage() {
  const user = await getPageUser();
  redirect(user ? "/chat" : "/login");
}
