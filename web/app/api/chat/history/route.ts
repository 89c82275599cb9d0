import { jsonText, parseInput, route, searchParams } from "@/server/http";
import { historyQuerySchema } from "@/lib/validations/chat";
import { metrics } from "@/server/metrics";
import { getHistoryJson } from "@/server/services/chat";

export const GET = route(async ({ request, user, services }) => {
  const { id: userId } = await user();
  const query = parseInput(historyQuerySchema, searchParams(request));
  metrics.historyPages.inc({ direction: query.after ? "after" : query.before ? "before" : "latest" });
  return jsonText(await getHistoryJson(services, userId, query));
});
