import { z } from "zod";
import { MAX_ATTACHMENTS_PER_MESSAGE } from "socket-server/contract";

export { MAX_ATTACHMENTS_PER_MESSAGE };

/** Longest stored file name, in UTF-16 code units (the contract's `Attachment.name`). */
export const ATTACHMENT_NAME_MAX = 255;

// Control characters, bidi overrides/isolates (the "evil\u202Egpj.exe" trick) and the characters
// Windows refuses in names. Path separators go too: a name is never a path.
const UNSAFE_NAME_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069<>:"/\\|?*]/g;

/**
 * A file name safe to store and show: the last path segment, NFC, without control, bidi or
 * reserved characters, without leading dots or trailing dots and spaces, at most 255 characters
 * (the extension kept when shortened). "file" when nothing is left.
 */
export function sanitizeFileName(raw: string): string {
  const base = raw.split(/[/\\]/).pop() ?? "";
  let name = base
    .normalize("NFC")
    .replace(UNSAFE_NAME_CHARACTERS, "")
    .replace(/\s+/g, " ")
    .replace(/^[.\s]+/, "")
    .replace(/[.\s]+$/, "");
  if (name.length > ATTACHMENT_NAME_MAX) {
    const dot = name.lastIndexOf(".");
    const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : "";
    // Cut by code points, so a surrogate pair is never split.
    name = [...name.slice(0, name.length - extension.length)].slice(0, ATTACHMENT_NAME_MAX - extension.length).join("") + extension;
    while (name.length > ATTACHMENT_NAME_MAX) name = [...name].slice(0, -1).join("");
  }
  return name || "file";
}

const conversationId = z.uuid({ error: "conversationId must be a conversation id (UUID)" });

/**
 * `POST /api/chat/attachments`: an upload target for one file in a conversation (`conversationId`,
 * or `with` a person for a direct one). `contentType` is the client's claim, only a hint: the
 * server sniffs the bytes. `size` is checked against ATTACHMENT_MAX_BYTES by the service.
 */
export const createAttachmentSchema = z
  .strictObject({
    conversationId: conversationId.optional(),
    with: z.uuid({ error: "with must be a user id (UUID)" }).optional(),
    name: z
      .string({ error: "name must be a string" })
      .max(1000, "name must be at most 1000 characters")
      .refine((value) => value.isWellFormed(), "name must be valid Unicode")
      .transform(sanitizeFileName),
    contentType: z.string().max(255, "contentType must be at most 255 characters").optional(),
    size: z
      .number({ error: "size must be a number of bytes" })
      .int("size must be a whole number of bytes")
      .min(1, "size must be at least 1 byte"),
  })
  .superRefine((input, context) => {
    if ((input.conversationId === undefined) === (input.with === undefined)) {
      context.addIssue({ code: "custom", path: ["conversationId"], message: "send exactly one of conversationId and with" });
    }
  });
export type CreateAttachmentInput = z.infer<typeof createAttachmentSchema>;

export const attachmentIdSchema = z.uuid({ error: "the attachment id must be a UUID" });

/** `GET /api/chat/attachments/ID`: `variant=preview` for an image's preview, `download=1` to save it. */
export const attachmentQuerySchema = z.strictObject({
  variant: z.enum(["original", "preview"]).default("original"),
  download: z.enum(["0", "1"]).optional(),
});
export type AttachmentQuery = z.infer<typeof attachmentQuerySchema>;

/** `attachmentIds` of `POST /api/chat/send`: own ready uploads of that conversation, not yet sent. */
export const attachmentIdsSchema = z
  .array(z.uuid({ error: "attachmentIds must hold attachment ids (UUID)" }))
  .refine((ids) => new Set(ids).size === ids.length, "attachmentIds must not repeat an id");

/** The `[id]` segment of /api/chat/attachments/[id]/…. */
export const attachmentParamsSchema = z.strictObject({ id: attachmentIdSchema });
