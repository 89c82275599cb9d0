import "server-only";
import { NextResponse, type NextRequest } from "next/server";
import type { z } from "zod";
import type { CookieJar, CookieOptions } from "@/server/auth/types";
import { getRequestServices, type RequestServices } from "@/server/context";
import { DomainError, isDomainError } from "@/server/errors";
import type { AuthProvider } from "@/server/auth/types";
import type { AuthUser } from "@/lib/types";
import { requireUser } from "@/server/services/auth";
import { logger } from "@/server/logger";
import { metrics } from "@/server/metrics";
import { getEnv } from "@/server/env";
import { peerAddress } from "@/server/peer-address";
import { isIP } from "node:net";
import { MAX_JSON_BODY_BYTES } from "@/lib/limits";

export function json<T>(data: T, status = 200, headers?: HeadersInit): NextResponse {
  return NextResponse.json({ data }, { status, headers });
}

/** `{ data }` around JSON text built elsewhere (the database), passed through without parsing it. */
export function jsonText(data: string, status = 200): NextResponse {
  return new NextResponse(`{"data":${data}}`, { status, headers: { "content-type": "application/json" } });
}

export function errorJson(status: number, code: string, message: string, details?: unknown, headers?: HeadersInit): NextResponse {
  return NextResponse.json({ error: details === undefined ? { code, message } : { code, message, details } }, { status, headers });
}

/** Maps any thrown value to the error shape; unknown errors are logged and stay generic. */
export function toErrorResponse(error: unknown): NextResponse {
  if (isDomainError(error)) return errorJson(error.status, error.code, error.message, error.details, error.headers);
  logger.error({ err: error }, "unhandled error in route handler");
  return errorJson(500, "internal_error", "Something went wrong on our side. Try again.");
}

/** Cookies read from the request; the ones set are copied onto the response by `applyTo`. */
export function requestCookieJar(request: NextRequest): CookieJar & { applyTo(response: NextResponse): NextResponse } {
  const pending: { name: string; value: string; options: CookieOptions }[] = [];
  return {
    get: (name) => request.cookies.get(name)?.value,
    getAll: () => request.cookies.getAll().map(({ name, value }) => ({ name, value })),
    set(name, value, options) {
      pending.push({ name, value, options });
    },
    applyTo(response) {
      for (const { name, value, options } of pending) {
        response.cookies.set(name, value, options as Parameters<typeof response.cookies.set>[2]);
      }
      // A response that sets a session must never be cached and served to someone else.
      if (pending.length > 0) response.headers.set("cache-control", "private, no-store");
      return response;
    },
  };
}

/** Parses with a shared schema; failures become 422 (or the given status) with the issues. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  { status = 422, code = "validation_failed" }: { status?: number; code?: string } = {},
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
  const message = details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join("; ");
  throw new DomainError(status, code, message || "Invalid input.", details);
}

const tooLarge = (maxBytes: number) => new DomainError(413, "payload_too_large", `The body must be at most ${maxBytes} bytes.`);

/**
 * The raw body, counted while it streams: a declared Content-Length over the limit is refused
 * before reading, a chunked body is cut as soon as it passes the limit (never buffered whole).
 */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      // Stops reading: the rest of the upload is never pulled in.
      reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** The JSON body, refusing other content types, oversized bodies (counted as they stream) and malformed JSON. */
export async function readJson(request: Request, maxBytes = MAX_JSON_BODY_BYTES): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new DomainError(415, "unsupported_media_type", "Send the body as application/json.");
  }
  const buffer = await readBody(request, maxBytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(buffer);
  } catch {
    throw new DomainError(400, "invalid_json", "The body is not valid UTF-8.");
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new DomainError(400, "invalid_json", "The body is not valid JSON.");
  }
}

export function searchParams(request: NextRequest): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of request.nextUrl.searchParams) params[key] = value;
  return params;
}

/**
 * The client's address for rate limits, or undefined when there is none we can trust (the
 * caller then counts it against one shared bucket, never skips the limit).
 *
 * - `TRUST_PROXY_HOPS=0` (default): the TCP peer, stamped by `stampPeerAddress` (Next.js hides
 *   the socket from route handlers). A client's own X-Forwarded-For is ignored.
 * - `TRUST_PROXY_HOPS=N`: the Nth address from the right of X-Forwarded-For, i.e. the address
 *   the outermost of our N proxies saw. Fewer entries than that: no usable address.
 */
export function clientIp(request: Request, trustProxyHops = getEnv().trustProxyHops): string | undefined {
  if (trustProxyHops === 0) return peerAddress(request.headers);
  const chain = (request.headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  const address = chain[chain.length - trustProxyHops];
  return address && isIP(address) ? address : undefined;
}

export interface RouteContext {
  request: NextRequest;
  cookies: ReturnType<typeof requestCookieJar>;
  auth: AuthProvider;
  /** The request's adapters (auth, store, push) for the services. */
  services: RequestServices;
  /** The signed-in user, or a 401. */
  user(): Promise<AuthUser>;
}

/**
 * CSRF guard for cookie-authenticated state changes: a browser always names the page's origin
 * in `Origin` (or says `Sec-Fetch-Site`) on a POST; it must be `APP_URL`'s origin. Host and
 * X-Forwarded-Host are never consulted: a client or a misconfigured proxy sets them. Clients
 * that send neither header (curl, servers) carry no ambient cookies of a victim, so they pass.
 */
export function assertSameOrigin(request: Request, appOrigin = new URL(getEnv().appUrl).origin): void {
  const origin = request.headers.get("origin");
  const fetchSite = request.headers.get("sec-fetch-site");
  if (origin === null) {
    if (fetchSite && fetchSite !== "same-origin" && fetchSite !== "none") throw forbiddenOrigin();
    return;
  }
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    throw forbiddenOrigin();
  }
  if (origin === "null" || !sameSite(parsed, new URL(appOrigin))) throw forbiddenOrigin();
}

const LOOPBACK_HOSTS = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** Same origin; on this machine localhost, 127.0.0.1 and [::1] name one site (a developer opens either). */
function sameSite(origin: URL, app: URL): boolean {
  if (origin.origin === app.origin) return true;
  return (
    origin.protocol === app.protocol &&
    origin.port === app.port &&
    LOOPBACK_HOSTS.test(origin.hostname) &&
    LOOPBACK_HOSTS.test(app.hostname)
  );
}

const forbiddenOrigin = () => new DomainError(403, "forbidden_origin", "Cross-site requests are not allowed.");

/**
 * Wraps a route handler: builds the per-request auth, maps errors, copies cookies onto the response.
 * A route with dynamic segments names its `pattern` (e.g. `/api/chat/conversations/[id]`): the
 * metrics label by it, so ids in paths do not make one time series each.
 */
export function route(handler: (context: RouteContext) => Promise<NextResponse>, { pattern }: { pattern?: string } = {}) {
  return async (request: NextRequest): Promise<NextResponse> => {
    const started = performance.now();
    const response = await handle(request, handler);
    const seconds = (performance.now() - started) / 1000;
    const path = request.nextUrl.pathname;
    metrics.requests.observe({ method: request.method, route: pattern ?? path, status: String(response.status) }, seconds);
    logger.info({ method: request.method, path, status: response.status, ms: Math.round(seconds * 1000) }, "request");
    return response;
  };
}

async function handle(request: NextRequest, handler: (context: RouteContext) => Promise<NextResponse>): Promise<NextResponse> {
  const cookies = requestCookieJar(request);
  try {
    if (request.method !== "GET" && request.method !== "HEAD") assertSameOrigin(request);
    const services = await getRequestServices(cookies, { ip: clientIp(request) });
    const { auth } = services;
    const response = await handler({ request, cookies, auth, services, user: () => requireUser(auth) });
    return cookies.applyTo(response);
  } catch (error) {
    return cookies.applyTo(toErrorResponse(error));
  }
}
