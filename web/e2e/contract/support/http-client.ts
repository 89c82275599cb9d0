import { randomUUID } from "node:crypto";
import http from "node:http";
import { MAX_JSON_BODY_BYTES } from "@/lib/limits";
import type { ContractStack } from "./contract-stack";

/** What came back, read as a client would. */
export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined when it is not JSON. */
  body: any;
}

export interface RequestOptions {
  /** Sent as application/json. */
  json?: unknown;
  /** A raw body, sent as is (set the content type in `headers`). */
  body?: string | Uint8Array | ReadableStream<Uint8Array>;
  headers?: Record<string, string>;
  /** The `chat_session` cookie of a signed-in user. */
  user?: SignedInUser;
  /** Sent on every state-changing request, as a browser does; null sends none. */
  origin?: string | null;
}

export interface SignedInUser {
  email: string;
  id: string;
  /** "chat_session=…" */
  cookie: string;
}

export async function call(baseUrl: string, method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  let body: RequestInit["body"];
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.body !== undefined) {
    body = options.body as RequestInit["body"];
  }
  if (method !== "GET" && method !== "HEAD" && options.origin !== null) headers.origin = options.origin ?? baseUrl;
  if (options.user) headers.cookie = options.user.cookie;
  Object.assign(headers, options.headers);
  // IMPORTANT: a server that refuses a body mid-stream closes that connection; a streamed body
  // gets a connection of its own, so the requests after it never land on a dying socket.
  if (body instanceof ReadableStream) return streamOnOwnConnection(`${baseUrl}${path}`, method, headers, body);
  const init: RequestInit = { method, headers, body, redirect: "manual", signal: AbortSignal.timeout(30_000) };
  const response = await fetch(`${baseUrl}${path}`, init).catch((error: Error & { cause?: { code?: string } }) => {
    // A server that refused a body mid-stream may reset that keep-alive connection; like a
    // browser, retry an idempotent request once on a fresh one.
    if ((method === "GET" || method === "HEAD") && /ECONNRESET|EPIPE|UND_ERR_SOCKET/.test(error.cause?.code ?? "")) {
      return fetch(`${baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
    }
    throw error;
  });
  const text = await response.text();
  let parsed: unknown;
  if ((response.headers.get("content-type") ?? "").includes("json")) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

/** A chunked request on a fresh connection (no keep-alive pool); the reply as `call` reads it. */
function streamOnOwnConnection(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: ReadableStream<Uint8Array>,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // Once the server answers (e.g. 413 mid-body), the rest of the body is not sent, and the
    // connection's reset that may follow is not an error of the exchange.
    let answered = false;
    const request = http.request(url, { method, headers, agent: false, timeout: 30_000 }, (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const replyHeaders = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          for (const item of Array.isArray(value) ? value : [value ?? ""]) replyHeaders.append(name, item);
        }
        let parsed: unknown;
        try {
          parsed = (replyHeaders.get("content-type") ?? "").includes("json") ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        resolve({ status: response.statusCode ?? 0, headers: replyHeaders, text, body: parsed });
      });
    });
    request.on("timeout", () => request.destroy(new Error("timed out")));
    request.on("error", (error) => {
      if (!answered) reject(error);
    });
    // IMPORTANT: past the JSON body limit the server answers (413) and closes the connection.
    // A write that lands after that close fails with EPIPE, and Node then drops the answer it
    // may already hold; so past the limit the rest waits for the answer (or 5 s without one).
    const answeredOrLater = new Promise<void>((resume) => {
      request.once("response", () => resume());
      request.once("close", () => resume());
      setTimeout(resume, 5_000).unref();
    });
    let written = 0;
    void (async () => {
      const reader = body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done || answered || request.destroyed) break;
          if (written > MAX_JSON_BODY_BYTES) await answeredOrLater;
          if (answered || request.destroyed) break;
          written += value.byteLength;
          if (!request.write(value)) await new Promise((resume) => request.once("drain", resume).once("close", resume));
        }
        if (answered || request.destroyed) await reader.cancel();
        else request.end();
      } catch (error) {
        request.destroy(error as Error);
      }
    })();
  });
}

/** The session cookie a response sets, as "name=value", or undefined. */
export function sessionCookie(reply: Reply): string | undefined {
  for (const line of reply.headers.getSetCookie()) {
    const [pair] = line.split(";");
    if (pair?.startsWith("chat_session=") && pair.length > "chat_session=".length) return pair;
  }
  return undefined;
}

/** A new address for this run (rate limits are per address, and Redis outlives runs). */
export const freshEmail = (name: string) => `${name}-${randomUUID().slice(0, 8)}@contract.test`;

export interface SignIn {
  user: SignedInUser;
  /** The link's token, already used. */
  tokenHash: string;
}

/**
 * The real sign-in: POST /api/auth/login, the link from the mail (dev mailbox or SMTP),
 * GET /auth/confirm (the Continue page), POST /auth/confirm (the form) → 303 and the cookie.
 */
export async function signIn(stack: ContractStack, email: string): Promise<SignIn> {
  const since = Date.now();
  const login = await call(stack.baseUrl, "POST", "/api/auth/login", { json: { email, next: "/chat" } });
  if (login.status !== 200) throw new Error(`login for ${email}: ${login.status} ${login.text}`);
  const link = new URL(await stack.magicLink(email, since));
  if (link.origin !== stack.baseUrl) throw new Error(`the link points at ${link.origin}, not APP_URL ${stack.baseUrl}`);

  const page = await call(stack.baseUrl, "GET", `${link.pathname}${link.search}`);
  if (page.status !== 200 || !page.text.includes('action="/auth/confirm"'))
    throw new Error(`confirm page: ${page.status} ${page.text.slice(0, 300)}`);

  const tokenHash = link.searchParams.get("token_hash") ?? "";
  const form = new URLSearchParams({
    token_hash: tokenHash,
    type: link.searchParams.get("type") ?? "",
    next: link.searchParams.get("next") ?? "",
  });
  const confirmed = await call(stack.baseUrl, "POST", "/auth/confirm", {
    body: form.toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
  const cookie = sessionCookie(confirmed);
  if (confirmed.status !== 303 || !cookie) throw new Error(`confirm: ${confirmed.status} ${confirmed.text.slice(0, 300)}`);

  const session = await call(stack.baseUrl, "GET", "/api/auth/session", { headers: { cookie } });
  if (session.status !== 200) throw new Error(`session: ${session.status} ${session.text}`);
  return { user: { email, id: session.body.data.user.id as string, cookie }, tokenHash };
}
