import { json, parseInput, route, searchParams } from "@/server/http";
import { changesQuerySchema } from "@/lib/validations/chat";
import { getChanges } from "@/server/services/chat";

export const GET = route(async ({ request, user, services }) => {
  const { id: userId } = await user();
  const query = parseInput(changesQuerySchema, searchParams(request));
  return json(await getChanges(services, userId, query));
});
