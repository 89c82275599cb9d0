import { markReadSchema } from "@/lib/validations/chat";
import { json, parseInput, readJson, route } from "@/server/http";
import { markRead } from "@/server/services/chat";

export const POST = route(async ({ request, user, services }) => {
  const { id: userId } = await user();
  const input = parseInput(markReadSchema, await readJson(request));
  return json(await markRead(services, userId, input));
});
