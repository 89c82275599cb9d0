import { json, route } from "@/server/http";
import { listConversations } from "@/server/services/chat";

export const GET = route(async ({ user, services }) => {
  const { id: userId } = await user();
  return json(await listConversations(services, userId));
});
