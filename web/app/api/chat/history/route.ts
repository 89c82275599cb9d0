import { json, parseInput, route, searchParams } from "@/server/http";
import { getServices } from "@/server/context";
import { historyQuerySchema } from "@/lib/validations/chat";
import { getHistory } from "@/server/services/chat";

export const GET = route(async ({ request, user }) => {
  const { id: userId } = await user();
  const query = parseInput(historyQuerySchema, searchParams(request));
  return json(await getHistory(await getServices(), userId, query));
});
