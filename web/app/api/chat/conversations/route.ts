import { json, route } from "@/server/http";
import { getServices } from "@/server/context";
import { listConversations } from "@/server/services/chat";

export const GET = route(async ({ user }) => {
  const { id: userId } = await user();
  return json(await listConversations(await getServices(), userId));
});
