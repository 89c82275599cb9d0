import type { NextRequest } from "next/server";
import { attachmentParamsSchema } from "@/lib/validations/attachments";
import { json, parseInput, route } from "@/server/http";
import { completeUpload } from "@/server/services/chat/attachments";

type Segments = { params: Promise<{ id: string }> };

export function POST(request: NextRequest, { params }: Segments) {
  return route(
    async ({ user, services }) => {
      const { id: userId } = await user();
      const { id } = parseInput(attachmentParamsSchema, await params);
      return json(await completeUpload(services, userId, id));
    },
    { pattern: "/api/chat/attachments/[id]/complete" },
  )(request);
}
