import type { NextRequest } from "next/server";
import { reactionParamsSchema } from "@/lib/validations/chat";
import { json, parseInput, route } from "@/server/http";
import { setReaction } from "@/server/services/chat";

type Segments = { params: Promise<{ id: string; emoji: string }> };

/** PUT adds my reaction, DELETE removes it; both idempotent. */
function react(on: boolean) {
  return (request: NextRequest, { params }: Segments) =>
    route(
      async ({ user, services }) => {
        const { id: userId } = await user();
        const { id, emoji } = parseInput(reactionParamsSchema, await params);
        return json(await setReaction(services, userId, id, emoji, on));
      },
      { pattern: "/api/chat/messages/[id]/reactions/[emoji]" },
    )(request);
}

export const PUT = react(true);
export const DELETE = react(false);
