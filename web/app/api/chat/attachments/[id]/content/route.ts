import type { NextRequest } from "next/server";
import { attachmentParamsSchema } from "@/lib/validations/attachments";
import { json, parseInput, route } from "@/server/http";
import { writeUploadContent } from "@/server/services/chat/attachments";

type Segments = { params: Promise<{ id: string }> };

/** The bytes of an upload (disk storage; Supabase mode uploads to a signed URL instead). */
export function PUT(request: NextRequest, { params }: Segments) {
  return route(
    async ({ request, user, services }) => {
      const { id: userId } = await user();
      const { id } = parseInput(attachmentParamsSchema, await params);
      const declared = request.headers.get("content-length");
      const result = await writeUploadContent(services, userId, id, request.body, declared === null ? null : Number(declared));
      return json(result);
    },
    { pattern: "/api/chat/attachments/[id]/content" },
  )(request);
}
