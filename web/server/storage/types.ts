/**
 * Where attachments' bytes live: one interface, one adapter per backend (local disk under
 * DATA_DIR; Supabase Storage's private bucket). The composition root picks one; callers never
 * branch on the mode, only on what an adapter offers (a signed URL, or null: go through the
 * authorised route). Keys come from `storageKeys` only, never from input.
 */
export interface FileStorage {
  /** Stores the bytes (a stream is counted as it arrives: more than `maxBytes` throws `TooLargeError`, nothing kept). */
  write(
    key: string,
    body: ReadableStream<Uint8Array> | Uint8Array,
    options: { contentType: string; maxBytes: number },
  ): Promise<{ size: number }>;
  /** The bytes and their size; null when there is no such object (or the caller may not read it). */
  read(key: string): Promise<{ body: ReadableStream<Uint8Array>; size: number } | null>;
  /** Removes the objects; missing ones are fine. */
  remove(keys: string[]): Promise<void>;
  /** A URL the client PUTs the bytes to without our server in the path; null: use the authorised route. */
  signedUploadUrl(key: string): Promise<{ url: string; headers: Record<string, string>; expiresAt: Date } | null>;
  /** A short-lived URL that serves the bytes as a download named `fileName`; null: serve through the authorised route. */
  signedDownloadUrl(key: string, options: { fileName: string; expiresInSeconds: number }): Promise<string | null>;
}

export class TooLargeError extends Error {
  override name = "TooLargeError";
  constructor(readonly maxBytes: number) {
    super(`more than ${maxBytes} bytes`);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The two objects of an attachment: `<conversation>/<attachment>/original` and `…/preview` (the migration's policies read this layout). */
export function storageKeys(conversationId: string, attachmentId: string): { original: string; preview: string } {
  if (!UUID.test(conversationId) || !UUID.test(attachmentId)) throw new Error("storage keys are made of ids");
  const prefix = `${conversationId}/${attachmentId}`;
  return { original: `${prefix}/original`, preview: `${prefix}/preview` };
}

/** True for a key `storageKeys` makes (a second guard for adapters that touch a filesystem). */
export function isStorageKey(key: string): boolean {
  const [conversationId, attachmentId, variant, ...rest] = key.split("/");
  return (
    rest.length === 0 &&
    UUID.test(conversationId ?? "") &&
    UUID.test(attachmentId ?? "") &&
    (variant === "original" || variant === "preview")
  );
}
