import type { UploadTarget } from "@/lib/types";
import { ApiError } from "./api";

/** One PUT of a file's bytes to an upload target. */
export interface UploadRequest {
  upload: UploadTarget["upload"];
  body: Blob;
  /** Bytes sent so far (called often while sending; at least once at the end). */
  onProgress(loaded: number, total: number): void;
  signal: AbortSignal;
}

/**
 * Sends the bytes; resolves once the target accepted them, rejects with an ApiError (status 0
 * for the network) or an AbortError when `signal` aborted. The browser's uses XMLHttpRequest,
 * the one API with upload progress; Node tests and simulations use `createFetchUploadTransport`.
 */
export type UploadTransport = (request: UploadRequest) => Promise<void>;

/** The `{ error: { code, message } }` of our routes, or Supabase Storage's `{ error, message }`. */
function errorOf(status: number, text: string): ApiError {
  let code = "upload_failed";
  let message = `Upload failed (${status}).`;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } | string; message?: string };
    if (body.error && typeof body.error === "object") {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
    } else if (typeof body.message === "string") {
      message = body.message;
    }
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  return new ApiError(status, code, message);
}

const abortError = () => new DOMException("The upload was cancelled.", "AbortError");

/** XMLHttpRequest's PUT with progress events; same-origin targets carry the session cookie. */
export const xhrUploadTransport: UploadTransport = ({ upload, body, onProgress, signal }) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(abortError());
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method, upload.url);
    for (const [name, value] of Object.entries(upload.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : body.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(body.size, body.size);
        resolve();
      } else reject(errorOf(xhr.status, xhr.responseText));
    };
    xhr.onerror = () => reject(new ApiError(0, "network_error", "Could not reach the server."));
    xhr.ontimeout = () => reject(new ApiError(0, "timeout", "The upload took too long."));
    xhr.onabort = () => reject(abortError());
    signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });

/**
 * The same PUT over fetch (Node: tests, simulations). Progress is reported once, at the end.
 * `fetchImpl` may add a cookie for same-origin targets; relative URLs resolve against `baseUrl`.
 */
export function createFetchUploadTransport(options: { baseUrl?: string; fetch?: typeof fetch } = {}): UploadTransport {
  const fetchImpl = options.fetch ?? fetch;
  return async ({ upload, body, onProgress, signal }) => {
    let response: Response;
    try {
      response = await fetchImpl(new URL(upload.url, options.baseUrl), { method: upload.method, headers: upload.headers, body, signal });
    } catch (error) {
      if (signal.aborted) throw abortError();
      throw new ApiError(0, "network_error", error instanceof Error ? error.message : "Could not reach the server.");
    }
    const text = await response.text().catch(() => "");
    if (!response.ok) throw errorOf(response.status, text);
    onProgress(body.size, body.size);
  };
}

export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}
