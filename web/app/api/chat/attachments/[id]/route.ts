import { create as contentDisposition } from "content-disposition";
import { NextResponse, type NextRequest } from "next/server";
import { attachmentParamsSchema, attachmentQuerySchema } from "@/lib/validations/attachments";
import { parseInput, route, searchParams } from "@/server/http";
import { openAttachment } from "@/server/services/chat/attachments";

type Segments = { params: Promise<{ id: string }> };

/**
 * An attachment's bytes for the members of its conversation. IMPORTANT: the type served is the
 * sniffed one, `nosniff` stops the browser guessing another, and anything but a decoded raster
 * image is a download (an HTML or SVG file never renders on this origin).
 */
export function GET(request: NextRequest, { params }: Segments) {
  return route(
    async ({ request, user, services }) => {
      const { id: userId } = await user();
      const { id } = parseInput(attachmentParamsSchema, await params);
      const query = parseInput(attachmentQuerySchema, searchParams(request));
      const content = await openAttachment(services, userId, id, query);
      if (content.kind === "redirect") {
        return NextResponse.redirect(content.url, { status: 302, headers: { "cache-control": "private, no-store" } });
      }
      return new NextResponse(content.body, {
        headers: {
          "content-type": content.contentType,
          "content-length": String(content.size),
          "content-disposition": contentDisposition(content.fileName, { type: content.disposition }),
          "x-content-type-options": "nosniff",
          "cache-control": "private, max-age=3600",
          "content-security-policy": "default-src 'none'; sandbox",
        },
      });
    },
    { pattern: "/api/chat/attachments/[id]" },
  )(request);
}
