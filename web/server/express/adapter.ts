import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { RequestHandler } from "express";
import { NextRequest } from "next/server";
import { DomainError, isDomainError } from "@/server/errors";
import { MAX_JSON_BODY_BYTES } from "@/server/http";

/**
 * Fetch ↔ Express, and nothing else: the Express apps run the very same route handlers
 * (app/**\/route.ts) as Next.js does. No parsing, validation or auth happens here.
 */

/** A handler exported from an app/**\/route.ts module. */
export type RouteHandler = (request: NextRequest) => Response | Promise<Response>;

/** Responses carry these per hop; Node sets its own. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade"]);

/** Runs a route handler for an Express request; errors go to the app's error handler. */
export function mountRoute(handler: RouteHandler, { maxBodyBytes = MAX_JSON_BODY_BYTES } = {}): RequestHandler {
  return async (req, res) => {
    const request = await toFetchRequest(req, { maxBodyBytes });
    await sendFetchResponse(res, await handler(new NextRequest(request)));
  };
}

/**
 * The Request a route handler would get from Next.js. Like Next.js's server, it fills in
 * `x-forwarded-host`, `-proto` and `-for` when no proxy did, so `clientIp()` and the
 * same-origin check read the same headers in both mounts.
 */
export async function toFetchRequest(
  req: IncomingMessage & { originalUrl?: string },
  { maxBodyBytes = MAX_JSON_BODY_BYTES } = {},
): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    // serverless-http's request carries content-length as a number.
    for (const item of Array.isArray(value) ? value : [String(value)]) headers.append(name, item);
  }
  const forwardedProto = headers.get("x-forwarded-proto")?.split(",")[0]?.trim();
  const protocol = forwardedProto === "https" || (!forwardedProto && (req.socket as TLSSocket).encrypted) ? "https" : "http";
  const host = headers.get("host") ?? "localhost";
  if (!headers.has("x-forwarded-host")) headers.set("x-forwarded-host", host);
  if (!headers.has("x-forwarded-proto")) headers.set("x-forwarded-proto", protocol);
  if (!headers.has("x-forwarded-for") && req.socket.remoteAddress) headers.set("x-forwarded-for", req.socket.remoteAddress);

  const method = req.method ?? "GET";
  // Express trims a router's mount path from `url`; the handler needs the path as requested.
  const url = new URL(req.originalUrl ?? req.url ?? "/", `${protocol}://${host}`);
  const body = method === "GET" || method === "HEAD" ? undefined : await readBody(req, maxBodyBytes);
  return new Request(url, { method, headers, body });
}

/**
 * The raw body, capped. IMPORTANT: Express's body parsers stay off for these routes:
 * `readJson` checks the content type, size and JSON itself, on the bytes as sent.
 */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  if (Number(req.headers["content-length"] ?? 0) > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

const tooLarge = (maxBytes: number) => new DomainError(413, "payload_too_large", `The body must be at most ${maxBytes} bytes.`);

/**
 * Copies status, headers (each Set-Cookie on its own) and body onto the Node response.
 * The body is buffered: route responses are small JSON or HTML documents, and Lambda
 * buffers them anyway; a known length also spares the chunked encoding.
 */
export async function sendFetchResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  for (const [name, value] of response.headers) {
    if (name === "set-cookie" || HOP_BY_HOP.has(name)) continue;
    res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
  res.end(body);
}
