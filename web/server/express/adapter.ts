import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { RequestHandler } from "express";
import { NextRequest } from "next/server";
import { DomainError, isDomainError } from "@/server/errors";
import { MAX_JSON_BODY_BYTES } from "@/lib/limits";
import { setPeerAddress } from "@/server/peer-address";
import type { RouteHandler } from "./route-table";

/**
 * Fetch ↔ Express, and nothing else: the Express apps run the very same route handlers
 * (app/**\/route.ts) as Next.js does. No parsing, validation or auth happens here.
 */

/** Responses carry these per hop; Node sets its own. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade"]);

/**
 * Runs a route handler for an Express request; errors go to the app's error handler. The path's
 * parameters reach the handler as Next.js passes them: `{ params: Promise<{ id: "…" }> }`.
 */
export function mountRoute(handler: RouteHandler, { maxBodyBytes = MAX_JSON_BODY_BYTES } = {}): RequestHandler {
  return async (req, res) => {
    let request: Request;
    try {
      request = await toFetchRequest(req, { maxBodyBytes });
    } catch (error) {
      // The rest of an oversized upload is never read: close the connection after the 413
      // instead of letting Node drain it.
      if (isDomainError(error) && error.status === 413) res.setHeader("connection", "close");
      throw error;
    }
    // Express 5 decodes them; a `*rest` segment is an array, as Next.js gives a catch-all.
    const params = { ...(req.params as Record<string, string | string[]>) };
    await sendFetchResponse(res, await handler(new NextRequest(request), { params: Promise.resolve(params) }));
  };
}

/**
 * The Request a route handler would get from Next.js. Like Next.js's server, it fills in
 * `x-forwarded-host`, `-proto` and `-for` when no proxy did, and stamps the TCP peer's address
 * as `next start` does (server/peer-address.ts), so `clientIp()` works the same in both mounts.
 */
async function toFetchRequest(
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
  // Overwrites any such header the client sent.
  setPeerAddress(headers, req.socket.remoteAddress);

  const method = req.method ?? "GET";
  // Express trims a router's mount path from `url`; the handler needs the path as requested.
  const url = new URL(req.originalUrl ?? req.url ?? "/", `${protocol}://${host}`);
  const body = method === "GET" || method === "HEAD" ? undefined : await readBody(req, maxBodyBytes);
  return new Request(url, { method, headers, body });
}

/**
 * The raw body, counted as it streams and cut at the cap (chunked bodies too). IMPORTANT: Express's body parsers stay off for these routes:
 * `readJson` checks the content type, size and JSON itself, on the bytes as sent.
 */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  if (Number(req.headers["content-length"] ?? 0) > maxBytes) throw tooLarge(maxBytes);
  // IMPORTANT: not `for await`: leaving that loop early destroys the request, and with it the
  // socket the 413 must go out on. Pausing keeps the connection for the answer.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        req.pause();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(new Uint8Array(Buffer.concat(chunks)));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
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
