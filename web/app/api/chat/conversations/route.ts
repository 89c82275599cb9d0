import { createConversationSchema } from "@/lib/validations/chat";
import { json, parseInput, readJson, route } from "@/server/http";
import { createConversation, listConversations } from "@/server/services/chat";

export const GET = route(async ({ user, services }) => {
  const { id: userId } = await user();
  return json(await listConversations(services, userId));
});

export const POST = route(async ({ request, user, services }) => {
  const { id: userId } = await user();
  const input = parseInput(createConversationSchema, await readJson(request));
  return json(await createConversation(services, userId, input), 201);
});
