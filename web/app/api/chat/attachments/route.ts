import { createAttachmentSchema } from "@/lib/validations/attachments";
import { json, parseInput, readJson, route } from "@/server/http";
import { createUpload } from "@/server/services/chat/attachments";

export const POST = route(async ({ request, user, services }) => {
  const { id: userId } = await user();
  const input = parseInput(createAttachmentSchema, await readJson(request));
  return json(await createUpload(services, userId, input), 201);
});
