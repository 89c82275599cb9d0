import type { NextRequest } from "next/server";
import { conversationParamsSchema, updateConversationSchema } from "@/lib/validations/chat";
import { json, parseInput, readJson, route } from "@/server/http";
import { getConversation, updateConversation } from "@/server/services/chat";

type Segments = { params: Promise<{ id: string }> };

export function GET(request: NextRequest, { params }: Segments) {
  return route(
    async ({ user, services }) => {
      const { id: userId } = await user();
      const { id } = parseInput(conversationParamsSchema, await params);
      return json(await getConversation(services, userId, id));
    },
    { pattern: "/api/chat/conversations/[id]" },
  )(request);
}

export function PATCH(request: NextRequest, { params }: Segments) {
  return route(
    async ({ request, user, services }) => {
      const { id: userId } = await user();
      const { id } = parseInput(conversationParamsSchema, await params);
      const input = parseInput(updateConversationSchema, await readJson(request));
      return json(await updateConversation(services, userId, id, input));
    },
    { pattern: "/api/chat/conversations/[id]" },
  )(request);
}
