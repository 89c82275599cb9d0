import type { NextRequest } from "next/server";
import { addMembersSchema, conversationParamsSchema } from "@/lib/validations/chat";
import { json, parseInput, readJson, route } from "@/server/http";
import { addMembers } from "@/server/services/chat";

export function POST(request: NextRequest, { params }: { params: Promise<{ id: string }> }) {
  return route(
    async ({ request, user, services }) => {
      const { id: userId } = await user();
      const { id } = parseInput(conversationParamsSchema, await params);
      const input = parseInput(addMembersSchema, await readJson(request));
      return json(await addMembers(services, userId, id, input));
    },
    { pattern: "/api/chat/conversations/[id]/members" },
  )(request);
}
