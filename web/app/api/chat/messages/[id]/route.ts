import type { NextRequest } from "next/server";
import { editMessageSchema, messageParamsSchema } from "@/lib/validations/chat";
import { json, parseInput, readJson, route } from "@/server/http";
import { deleteMessage, editMessage } from "@/server/services/chat";

type Segments = { params: Promise<{ id: string }> };

export function PATCH(request: NextRequest, { params }: Segments) {
  return route(
    async ({ request, user, services }) => {
      const { id: userId } = await user();
      const { id } = parseInput(messageParamsSchema, await params);
      const input = parseInput(editMessageSchema, await readJson(request));
      return json(await editMessage(services, userId, id, input));
    },
    { pattern: "/api/chat/messages/[id]" },
  )(request);
}

export function DELETE(request: NextRequest, { params }: Segments) {
  return route(
    async ({ user, services }) => {
      const { id: userId } = await user();
      const { id } = parseInput(messageParamsSchema, await params);
      return json(await deleteMessage(services, userId, id));
    },
    { pattern: "/api/chat/messages/[id]" },
  )(request);
}
