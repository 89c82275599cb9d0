import { json, parseInput, readJson, route } from "@/server/http";
import { getServices } from "@/server/context";
import { sendMessageSchema } from "@/lib/validations/chat";
import { sendMessage } from "@/server/services/chat";

export const POST = route(async ({ request, user }) => {
  const { id: senderId } = await user();
  const input = parseInput(sendMessageSchema, await readJson(request));
  const { message, created } = await sendMessage(await getServices(), senderId, input);
  return json(message, created ? 201 : 200);
});
