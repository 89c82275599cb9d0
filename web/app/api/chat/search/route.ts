import { json, parseInput, route, searchParams } from "@/server/http";
import { searchQuerySchema } from "@/lib/validations/search";
import { searchMessages } from "@/server/services/chat";

export const GET = route(async ({ request, user, services }) => {
  const { id: userId } = await user();
  const query = parseInput(searchQuerySchema, searchParams(request));
  return json(await searchMessages(services, userId, query));
});
