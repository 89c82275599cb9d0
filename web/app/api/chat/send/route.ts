import { json, parseInput, readJson, route } from "@/server/http";
import { sendMessageSchema } from "@/lib/validations/chat";
import { metrics } from "@/server/metrics";
import { sendMessage } from "@/server/services/chat";

export const POST = route(async ({ request, user, services }) => {
  const { id: senderId } = await user();
  const input = parseInput(sendMessageSchema, await readJson(request));
  const { message, created } = await sendMessage(services, senderId, input);
  metrics.messagesSent.inc({ result: created ? "created" : "duplicate" });
  return json(message, created ? 201 : 200);
});
