import type { Attachment, UploadTarget } from "@/lib/types";
import type { AttachmentQuery, CreateAttachmentInput } from "@/lib/validations/attachments";
import { INLINE_IMAGE_TYPES, inspectImage, PREVIEW_CONTENT_TYPE, sniffContentType, SNIFF_BYTES } from "@/server/attachments/inspect";
import { DomainError, notFound } from "@/server/errors";
import type { RateLimits } from "@/server/rate-limit";
import { storageKeys, TooLargeError, type FileStorage } from "@/server/storage/types";
import type { ChatStore, StoredAttachment } from "@/server/store/types";

export interface AttachmentDeps {
  store: ChatStore;
  storage: FileStorage;
  limits: RateLimits;
  /** ATTACHMENT_MAX_BYTES. */
  attachmentMaxBytes: number;
}

/** How long an upload through the authorised route may take before the sweep may remove it. */
const UNSENT_LIFETIME_MS = 24 * 60 * 60 * 1000;
/** Lifetime of a signed download URL (Supabase mode). */
export const SIGNED_DOWNLOAD_SECONDS = 60;

const attachmentNotFound = () => notFound("attachment_not_found", "There is no such attachment.");
export const attachmentTooLarge = (maxBytes: number) =>
  new DomainError(413, "attachment_too_large", `A file may be at most ${maxBytes} bytes.`);

const toPublic = ({ id, name, contentType, size, kind, width, height }: StoredAttachment): Attachment => ({
  id,
  name,
  contentType,
  size,
  kind,
  width,
  height,
});

/**
 * Starts an upload: a pending attachment and where to PUT its bytes (a signed storage URL, or
 * the authorised route `PUT /api/chat/attachments/ID/content`). 413 attachment_too_large over
 * ATTACHMENT_MAX_BYTES, 413 quota_exceeded past ATTACHMENT_QUOTA_BYTES (the SQL counts), 429 rate_limited.
 */
export async function createUpload(
  { store, storage, limits, attachmentMaxBytes: maxBytes }: AttachmentDeps,
  userId: string,
  input: CreateAttachmentInput,
): Promise<UploadTarget> {
  if (input.size > maxBytes) throw attachmentTooLarge(maxBytes);
  await limits.consume("attachmentUploads", userId);
  const target = input.conversationId !== undefined ? { conversationId: input.conversationId } : { peerId: input.with! };
  const attachment = await store.createAttachment(userId, { ...target, name: input.name, size: input.size });
  const signed = await storage.signedUploadUrl(attachment.storageKey);
  const upload = signed ?? {
    url: `/api/chat/attachments/${attachment.id}/content`,
    headers: { "content-type": "application/octet-stream" },
    expiresAt: new Date(Date.parse(attachment.createdAt) + UNSENT_LIFETIME_MS),
  };
  return {
    attachment: { ...toPublic(attachment), status: attachment.status },
    upload: { method: "PUT", url: upload.url, headers: upload.headers },
    expiresAt: upload.expiresAt.toISOString(),
  };
}

/** The user's own pending upload, or 404 attachment_not_found (also for a stranger's). */
async function ownPending(store: ChatStore, userId: string, attachmentId: string): Promise<StoredAttachment> {
  const attachment = await store.getAttachment(userId, attachmentId);
  if (!attachment || attachment.uploaderId !== userId) throw attachmentNotFound();
  return attachment;
}

/**
 * The bytes of a pending upload, through the authorised route (disk storage). Streamed to
 * storage and cut as soon as they pass the size announced at creation: 413 attachment_too_large.
 * 409 attachment_complete once the upload was completed.
 */
export async function writeUploadContent(
  { store, storage, attachmentMaxBytes: maxBytes }: Pick<AttachmentDeps, "store" | "storage" | "attachmentMaxBytes">,
  userId: string,
  attachmentId: string,
  body: ReadableStream<Uint8Array> | null,
  declaredLength: number | null,
): Promise<{ size: number }> {
  const attachment = await ownPending(store, userId, attachmentId);
  if (attachment.status !== "pending") throw new DomainError(409, "attachment_complete", "This upload is already complete.");
  const limit = Math.min(attachment.size, maxBytes);
  if (declaredLength !== null && declaredLength > limit) throw attachmentTooLarge(limit);
  try {
    return await storage.write(attachment.storageKey, body ?? new Uint8Array(0), {
      contentType: "application/octet-stream",
      maxBytes: limit,
    });
  } catch (error) {
    if (error instanceof TooLargeError) throw attachmentTooLarge(limit);
    throw error;
  }
}

/**
 * Checks an upload's bytes and makes it ready: the type sniffed from the bytes (file-type,
 * never the client's claim), and for a raster image its size and a bounded preview (sharp).
 * Completing twice answers the same attachment. 409 upload_missing when no bytes arrived;
 * 413 attachment_too_large when more arrived than announced (the bytes are removed).
 */
export async function completeUpload(
  { store, storage, attachmentMaxBytes: maxBytes }: Pick<AttachmentDeps, "store" | "storage" | "attachmentMaxBytes">,
  userId: string,
  attachmentId: string,
): Promise<Attachment> {
  const attachment = await ownPending(store, userId, attachmentId);
  if (attachment.status === "ready") return toPublic(attachment);
  const object = await storage.read(attachment.storageKey);
  if (!object) throw new DomainError(409, "upload_missing", "Upload the file's bytes first.");
  const limit = Math.min(attachment.size, maxBytes);
  if (object.size > limit) {
    await object.body.cancel().catch(() => {});
    await storage.remove([attachment.storageKey]);
    throw attachmentTooLarge(limit);
  }
  const keys = storageKeys(attachment.conversationId, attachment.id);
  const { bytes, contentType } = await readAndSniff(object.body, limit);
  const image = bytes ? await inspectImage(bytes) : null;
  if (image) await storage.write(keys.preview, image.preview, { contentType: PREVIEW_CONTENT_TYPE, maxBytes: image.preview.byteLength });
  const done = await store.completeAttachment(userId, attachmentId, {
    contentType,
    size: object.size,
    kind: image ? "image" : "file",
    width: image?.width ?? null,
    height: image?.height ?? null,
  });
  if (!done) throw attachmentNotFound();
  return toPublic(done);
}

/**
 * Sniffs the head of the stream; only a raster image is read whole (for sharp), anything else
 * stops after the head. `bytes` is the whole file for an image, else null.
 */
async function readAndSniff(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<{ bytes: Uint8Array | null; contentType: string }> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let contentType: string | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (value) {
        chunks.push(value);
        size += value.byteLength;
        if (size > maxBytes) throw attachmentTooLarge(maxBytes);
      }
      if (contentType === undefined && (done || size >= SNIFF_BYTES)) {
        contentType = await sniffContentType(Buffer.concat(chunks));
        if (!INLINE_IMAGE_TYPES.has(contentType)) return { bytes: null, contentType };
      }
      if (done) return { bytes: Buffer.concat(chunks), contentType: contentType! };
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

export type AttachmentContent =
  | { kind: "redirect"; url: string }
  | {
      kind: "bytes";
      body: ReadableStream<Uint8Array>;
      size: number;
      contentType: string;
      /** "inline" only for a decoded raster image (or its preview) not asked as a download. */
      disposition: "inline" | "attachment";
      fileName: string;
    };

/**
 * An attachment's bytes (or its image preview) for a member of its conversation: a short-lived
 * signed URL to redirect to (Supabase: always a download), or the bytes to serve. 404
 * attachment_not_found for anyone else, for an upload not yet complete, and for a deleted message's files.
 */
export async function openAttachment(
  { store, storage }: Pick<AttachmentDeps, "store" | "storage">,
  userId: string,
  attachmentId: string,
  query: AttachmentQuery,
): Promise<AttachmentContent> {
  const attachment = await store.getAttachment(userId, attachmentId);
  if (!attachment || attachment.status !== "ready") throw attachmentNotFound();
  const preview = query.variant === "preview";
  if (preview && attachment.kind !== "image") throw notFound("attachment_not_found", "This attachment has no preview.");
  const keys = storageKeys(attachment.conversationId, attachment.id);
  const key = preview ? keys.preview : keys.original;
  const fileName = preview ? `${attachment.name.replace(/\.[^.]*$/, "")}.webp` : attachment.name;
  const signed = await storage.signedDownloadUrl(key, { fileName, expiresInSeconds: SIGNED_DOWNLOAD_SECONDS });
  if (signed) return { kind: "redirect", url: signed };
  const object = await storage.read(key);
  if (!object) throw attachmentNotFound();
  const contentType = preview ? PREVIEW_CONTENT_TYPE : attachment.contentType;
  const inline = query.download !== "1" && attachment.kind === "image" && INLINE_IMAGE_TYPES.has(contentType);
  return { kind: "bytes", body: object.body, size: object.size, contentType, disposition: inline ? "inline" : "attachment", fileName };
}
