import type { SupabaseClient } from "@supabase/supabase-js";
import { TooLargeError, type FileStorage } from "./types";

/** The private bucket the attachments migration creates. */
export const ATTACHMENTS_BUCKET = "attachments";

// Supabase's signed upload URLs are valid for 2 hours (not configurable).
const SIGNED_UPLOAD_TTL_MS = 2 * 60 * 60 * 1000;

/**
 * Attachments in Supabase Storage (Supabase mode), through supabase-js with the client's JWT:
 * with the signed-in user's, the bucket's `storage.objects` policies decide (members of the
 * object's conversation read, the uploader of a pending attachment writes); with the service
 * role (the cleanup sweep), everything. Uploads go straight to a signed upload URL; reads are
 * short-lived signed URLs that download (never rendered inline on the storage origin).
 */
export function createSupabaseStorage(supabase: SupabaseClient, bucket = ATTACHMENTS_BUCKET): FileStorage {
  const files = () => supabase.storage.from(bucket);
  const fail = (what: string, error: { message: string }) => new Error(`storage ${what} failed: ${error.message}`);

  return {
    async write(key, body, { contentType, maxBytes }) {
      const bytes = body instanceof Uint8Array ? body : await readAll(body, maxBytes);
      if (bytes.byteLength > maxBytes) throw new TooLargeError(maxBytes);
      const { error } = await files().upload(key, bytes, { contentType, upsert: true });
      if (error) throw fail("upload", error);
      return { size: bytes.byteLength };
    },

    async read(key) {
      const { data, error } = await files().download(key);
      if (error) {
        // Storage answers "not found" both for a missing object and for one the policies hide.
        if (isNotFound(error)) return null;
        throw fail("download", error);
      }
      return { body: data.stream(), size: data.size };
    },

    async remove(keys) {
      if (keys.length === 0) return;
      const { error } = await files().remove(keys);
      if (error) throw fail("remove", error);
    },

    async signedUploadUrl(key) {
      const { data, error } = await files().createSignedUploadUrl(key);
      if (error) throw fail("signing an upload", error);
      return {
        url: data.signedUrl,
        // The stored type is ignored (the server sniffs the bytes); this keeps the object inert.
        headers: { "content-type": "application/octet-stream", "x-upsert": "false" },
        expiresAt: new Date(Date.now() + SIGNED_UPLOAD_TTL_MS),
      };
    },

    async signedDownloadUrl(key, { fileName, expiresInSeconds }) {
      const { data, error } = await files().createSignedUrl(key, expiresInSeconds, { download: fileName });
      if (error) {
        if (isNotFound(error)) return null;
        throw fail("signing a download", error);
      }
      return data.signedUrl;
    },
  };
}

// Storage answers HTTP 400 or 404 with `{ statusCode: "404", error: "not_found", message: "Object not found" }`.
function isNotFound(error: { message: string; status?: number; statusCode?: string | number }): boolean {
  return error.status === 404 || String(error.statusCode) === "404" || /not[_ ]found/i.test(error.message);
}

async function readAll(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new TooLargeError(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
