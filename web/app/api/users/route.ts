import { json, parseInput, route, searchParams } from "@/server/http";
import { userSearchQuerySchema } from "@/lib/validations/chat";
import { searchUsers } from "@/server/services/chat";

export const GET = route(async ({ request, user, services }) => {
  const { id: userId } = await user();
  const { q } = parseInput(userSearchQuerySchema, searchParams(request));
  return json(await searchUsers(services, userId, q));
});
