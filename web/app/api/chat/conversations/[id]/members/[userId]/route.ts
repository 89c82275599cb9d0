import type { NextRequest } from "next/server";
import { memberParamsSchema } from "@/lib/validations/chat";
import { json, parseInput, route } from "@/server/http";
import { removeMember } from "@/server/services/chat";

export function DELETE(request: NextRequest, { params }: { params: Promise<{ id: string; userId: string }> }) {
  return route(
    async ({ user, services }) => {
      const { id: userId } = await user();
      const { id, userId: memberId } = parseInput(memberParamsSchema, await params);
      return json(await removeMember(services, userId, id, memberId));
    },
    { pattern: "/api/chat/conversations/[id]/members/[userId]" },
  )(request);
}
