import type { ApiResponse } from "@/lib/types";

/** A failed API call: the server's `{ error }` body, or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: unknown;
  /** From a `Retry-After` header (429, 503): how long to wait before trying again. */
  readonly retryAfterMs?: number;

  constructor(status: number, code: string, message: string, details?: unknown, retryAfterMs?: number) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfterMs = retryAfterMs;
  }
}

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date; undefined when absent or malformed. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface ApiFetchOptions extends Omit<RequestInit, "body"> {
  /** Sent as a JSON body (sets Content-Type). */
  json?: unknown;
  /** Query string values; undefined ones are left out. */
  query?: Record<string, string | number | undefined>;
  /** Gives up after this many milliseconds (default 15 s). */
  timeoutMs?: number;
}

/**
 * Calls one of our JSON route handlers and returns its `data`, or throws an ApiError.
 * Same-origin only: the session travels in the cookie.
 */
export async function apiFetch<T>(path: string, options: ApiFetchOptions = {}): Promise<T> {
  const { json, query, timeoutMs = 15_000, headers, signal, ...init } = options;

  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }

  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      credentials: "same-origin",
      cache: "no-store",
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      headers: {
        Accept: "application/json",
        ...(json === undefined ? {} : { "Content-Type": "application/json" }),
        ...headers,
      },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
  } catch (error) {
    // A caller's own abort is not a failure worth reporting; let it through unchanged.
    if (signal?.aborted) throw error;
    const timedOut = timeout.aborted;
    throw new ApiError(
      0,
      timedOut ? "timeout" : "network_error",
      timedOut ? "The server took too long to answer." : "Could not reach the server.",
    );
  }

  const body = (await response.json().catch(() => null)) as ApiResponse<T> | null;
  // A 2xx without a JSON body (e.g. 204) carries no data.
  if (response.ok && !body?.error) return body?.data as T;

  const error = body?.error;
  throw new ApiError(
    response.status,
    error?.code ?? "http_error",
    error?.message ?? `Request failed (${response.status}).`,
    error?.details,
    parseRetryAfter(response.headers.get("retry-after")),
  );
}

export function isUnauthorized(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}
