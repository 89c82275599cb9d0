import { randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import type { ContractStack, WebMode } from "./support/contract-stack";
import { call, freshEmail, type Reply, type RequestOptions, type SignedInUser } from "./support/http-client";
import { connectSocket, messagePush, signPush, signToken, unsignedToken } from "./support/realtime";

/**
 * The bad-input catalogue: requests a careless or hostile client sends, through the running
 * servers. Each names the answer it must get; the suite also checks that none is a 5xx and
 * that nothing was stored, sent or emitted.
 */

export interface CatalogueContext {
  stack: ContractStack;
  ann: SignedInUser;
  bob: SignedInUser;
  /** A message between two other users: a cursor from a conversation ann is not part of. */
  foreignMessageId: string;
  /** The clientId and content of ann's first message to bob. */
  firstSend: { clientId: string; content: string };
}

/** What a case got: an HTTP status (with the error code, if any), or how a socket handshake ended. */
export interface Outcome {
  status: number | string;
  code?: string;
  reply?: Reply;
}

export interface Case {
  area: string;
  name: string;
  /** The expected answer; some differ between `next dev` and the production build. */
  expect: (mode: WebMode) => { status: number | string; code?: string };
  run(context: CatalogueContext): Promise<Outcome>;
  /** Extra checks on the reply (e.g. what an HTML page must not echo). */
  verify?(outcome: Outcome, context: CatalogueContext): void;
}

type Dynamic<T> = T | ((context: CatalogueContext) => T);
const resolve = <T>(value: Dynamic<T>, context: CatalogueContext): T =>
  typeof value === "function" ? (value as (context: CatalogueContext) => T)(context) : value;

type As = "ann" | "anonymous";

interface ApiOptions {
  as?: As;
  json?: unknown;
  raw?: string | Uint8Array;
  type?: string | null;
  headers?: Record<string, string>;
  origin?: string | null;
}

function api(
  area: string,
  name: string,
  method: string,
  path: Dynamic<string>,
  options: Dynamic<ApiOptions>,
  status: number | ((mode: WebMode) => number),
  code?: string | ((mode: WebMode) => string | undefined),
  verify?: Case["verify"],
): Case {
  return {
    area,
    name,
    expect: (mode) => ({
      status: typeof status === "function" ? status(mode) : status,
      code: typeof code === "function" ? code(mode) : code,
    }),
    async run(context) {
      const opts = resolve(options, context);
      const request: RequestOptions = { origin: opts.origin, headers: { ...opts.headers } };
      if ((opts.as ?? "ann") === "ann") request.user = context.ann;
      if (opts.json !== undefined) request.json = opts.json;
      if (opts.raw !== undefined) {
        request.body = opts.raw;
        if (opts.type !== null) request.headers!["content-type"] = opts.type ?? "application/json";
      }
      const reply = await call(context.stack.baseUrl, method, resolve(path, context), request);
      return { status: reply.status, code: reply.body?.error?.code, reply };
    },
    verify,
  };
}

// --- Body builders -------------------------------------------------------------------------

const message = (context: CatalogueContext, patch: Record<string, unknown> = {}) =>
  Object.fromEntries(
    Object.entries({ recipientId: context.bob.id, content: "hello", clientId: randomUUID(), ...patch }).filter(
      ([, value]) => value !== undefined,
    ),
  );
const send =
  (patch: Dynamic<Record<string, unknown>>): Dynamic<ApiOptions> =>
  (context) => ({ json: message(context, resolve(patch, context)) });
const rawSend = (raw: string | Uint8Array, type: string | null = "application/json"): ApiOptions => ({ raw, type });
const anonymous = (options: ApiOptions = {}): ApiOptions => ({ ...options, as: "anonymous" });

const SEND = "/api/chat/send";
const ATTACHMENTS = "/api/chat/attachments";
const LOGIN = "/api/auth/login";
const READ = "/api/chat/read";
const PROFILE = "/api/profile";
const history = (query: Dynamic<string>) => (context: CatalogueContext) => `/api/chat/history?${resolve(query, context)}`;
const withBob =
  (rest = "") =>
  (context: CatalogueContext) =>
    `with=${context.bob.id}${rest}`;
const message_ = (id: string) => `/api/chat/messages/${id}`;
const foreignMessage = (context: CatalogueContext) => message_(context.foreignMessageId);
const reaction = (emoji: string) => (context: CatalogueContext) => `${foreignMessage(context)}/reactions/${emoji}`;
const changes = (query: Dynamic<string>) => (context: CatalogueContext) => `/api/chat/changes?${resolve(query, context)}`;
const bigJson = (bytes: number) => JSON.stringify({ recipientId: randomUUID(), clientId: randomUUID(), content: "x".repeat(bytes) });

/** An HTML page (the magic-link pages) that must not carry `needle` as markup. */
const htmlWithout =
  (needle: string): Case["verify"] =>
  (outcome) => {
    if (!outcome.reply?.headers.get("content-type")?.includes("text/html"))
      throw new Error(`expected an HTML page, got ${outcome.reply?.headers.get("content-type")}`);
    if (outcome.reply.text.includes(needle)) throw new Error(`the page echoes ${JSON.stringify(needle)}`);
  };
const noSessionCookie: Case["verify"] = (outcome) => {
  if (outcome.reply?.headers.getSetCookie().some((line) => /^chat_session=[^;]+/.test(line)))
    throw new Error("a failed sign-in set a session cookie");
};

/** A body streamed in chunks, with no Content-Length (Transfer-Encoding: chunked). */
function chunked(totalBytes: number, chunkBytes = 16 * 1024): ReadableStream<Uint8Array> {
  let sent = 0;
  const prefix = new TextEncoder().encode(`{"recipientId":"${randomUUID()}","clientId":"${randomUUID()}","content":"`);
  return new ReadableStream({
    pull(controller) {
      if (sent === 0) {
        controller.enqueue(prefix);
        sent += prefix.length;
        return;
      }
      if (sent >= totalBytes) {
        controller.enqueue(new TextEncoder().encode(`"}`));
        controller.close();
        return;
      }
      const size = Math.min(chunkBytes, totalBytes - sent);
      controller.enqueue(new Uint8Array(size).fill(0x78));
      sent += size;
    },
  });
}

/**
 * A chunked body that never ends: the answer must come while it still streams (the server
 * counts as it reads), not after the client gives up. Resolves with the status, or "no answer".
 */
export function streamWithoutEnd(baseUrl: string, path: string, user: SignedInUser, bytes: number, waitMs = 5_000): Promise<Outcome> {
  const url = new URL(path, baseUrl);
  return new Promise((resolvePromise) => {
    const req = httpRequest(url, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: user.cookie, origin: baseUrl, "transfer-encoding": "chunked" },
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolvePromise({ status: "no answer while the body streamed" });
    }, waitMs);
    req.on("response", (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => {
        clearTimeout(timer);
        req.destroy();
        let code: string | undefined;
        try {
          code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
        } catch {
          // not JSON
        }
        resolvePromise({ status: response.statusCode ?? 0, code });
      });
    });
    req.on("error", () => {
      // The server may cut the connection after answering; the answer (or the timer) decides.
    });
    req.write(`{"recipientId":"${randomUUID()}","clientId":"${randomUUID()}","content":"`);
    let written = 0;
    const pump = () => {
      while (written < bytes) {
        written += 16 * 1024;
        if (!req.write("x".repeat(16 * 1024))) return void req.once("drain", pump);
      }
      // Keep the request open: no final chunk.
    };
    pump();
  });
}

// --- Socket handshake and webhook cases -----------------------------------------------------

function handshake(
  name: string,
  auth: Dynamic<Promise<Record<string, unknown> | undefined> | Record<string, unknown> | undefined>,
  expected = "unauthorized",
  headers?: Record<string, string>,
): Case {
  return {
    area: "socket handshake",
    name,
    expect: () => ({ status: `connect_error: ${expected}` }),
    async run(context) {
      const result = await connectSocket(context.stack.socketUrl, await resolve(auth, context), headers);
      if (result.connected) {
        result.socket.close();
        return { status: "connected" };
      }
      return { status: `connect_error: ${result.error}` };
    },
  };
}

const claims = (context: CatalogueContext, patch: Record<string, unknown> = {}) => ({
  sub: context.ann.id,
  role: "authenticated",
  aud: "authenticated",
  email: context.ann.email,
  expiresIn: 600,
  ...patch,
});
const tokenWith = (patch: Record<string, unknown>, secret?: string) => async (context: CatalogueContext) => ({
  token: await signToken(secret ?? context.stack.authJwtSecret, claims(context, patch)),
});

const WEBHOOK = "/webhooks/messages";

function webhook(
  name: string,
  build: (context: CatalogueContext) => { body: string | Uint8Array; headers: Record<string, string> },
  status: number,
  code: string,
): Case {
  return {
    area: "webhook receiver",
    name,
    expect: () => ({ status, code }),
    async run(context) {
      const { body, headers } = build(context);
      const reply = await call(context.stack.socketUrl, "POST", WEBHOOK, { body, headers, origin: null });
      return { status: reply.status, code: reply.body?.error?.code, reply };
    },
  };
}
/** A push to ann (the suite's listening socket), signed with the stack's secret. */
const pushToAnn = (context: CatalogueContext, patch: Record<string, unknown> = {}, content = "catalogue push") =>
  JSON.stringify(messagePush(context.bob.id, context.ann.id, content, patch));
/** `offsetMs` moves the signing time from when the case runs (not when this file loads: the catalogue runs minutes later). */
const signed = (body: (context: CatalogueContext) => string, offsetMs?: number) => (context: CatalogueContext) =>
  signPush(context.stack.webhookSecret, body(context), { at: offsetMs === undefined ? undefined : new Date(Date.now() + offsetMs) });

// --- The catalogue --------------------------------------------------------------------------

const ZERO_WIDTH = "\u200b\u200b\u200b";

export const CASES: Case[] = [
  // Sign-in requests
  api("auth", "login: malformed JSON", "POST", LOGIN, anonymous(rawSend('{"email":')), 400, "invalid_json"),
  api("auth", "login: an empty body", "POST", LOGIN, anonymous(rawSend("")), 400, "invalid_json"),
  api(
    "auth",
    "login: bytes that are not UTF-8",
    "POST",
    LOGIN,
    anonymous(rawSend(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))),
    400,
    "invalid_json",
  ),
  api(
    "auth",
    "login: text/plain (the CSRF shape)",
    "POST",
    LOGIN,
    () => anonymous(rawSend(JSON.stringify({ email: freshEmail("csrf") }), "text/plain")),
    415,
    "unsupported_media_type",
  ),
  api(
    "auth",
    "login: a form-encoded body",
    "POST",
    LOGIN,
    () => anonymous(rawSend(`email=${encodeURIComponent(freshEmail("form"))}`, "application/x-www-form-urlencoded")),
    415,
    "unsupported_media_type",
  ),
  api(
    "auth",
    "login: no content type",
    "POST",
    LOGIN,
    () => anonymous(rawSend(JSON.stringify({ email: freshEmail("csrf") }), null)),
    415,
    "unsupported_media_type",
  ),
  api(
    "auth",
    "login: application/jsonx",
    "POST",
    LOGIN,
    () => anonymous(rawSend(JSON.stringify({ email: freshEmail("csrf") }), "application/jsonx")),
    415,
    "unsupported_media_type",
  ),
  api("auth", "login: a JSON array", "POST", LOGIN, anonymous({ json: [] }), 400, "invalid_email"),
  api("auth", "login: JSON null", "POST", LOGIN, anonymous(rawSend("null")), 400, "invalid_email"),
  api("auth", "login: no email", "POST", LOGIN, anonymous({ json: { next: "/chat" } }), 400, "invalid_email"),
  api("auth", "login: the email as a number", "POST", LOGIN, anonymous({ json: { email: 42 } }), 400, "invalid_email"),
  api("auth", "login: the email as an array", "POST", LOGIN, anonymous({ json: { email: ["a@example.com"] } }), 400, "invalid_email"),
  api("auth", "login: not an address", "POST", LOGIN, anonymous({ json: { email: "not an email" } }), 400, "invalid_email"),
  api(
    "auth",
    "login: a 300-character address",
    "POST",
    LOGIN,
    anonymous({ json: { email: `${"a".repeat(288)}@example.com` } }),
    400,
    "invalid_email",
  ),
  api(
    "auth",
    "login: a header injection (CRLF Bcc)",
    "POST",
    LOGIN,
    anonymous({ json: { email: "a@example.com\r\nBcc: all@example.com" } }),
    400,
    "invalid_email",
  ),
  api("auth", "login: a NUL in the address", "POST", LOGIN, anonymous({ json: { email: "a\u0000@example.com" } }), 400, "invalid_email"),
  api(
    "auth",
    "login: a bidi override in the address",
    "POST",
    LOGIN,
    anonymous({ json: { email: "moc.elpmaxe\u202e@a" } }),
    400,
    "invalid_email",
  ),
  api(
    "auth",
    "login: a lone surrogate in the address",
    "POST",
    LOGIN,
    anonymous({ json: { email: "a\ud800@example.com" } }),
    400,
    "invalid_email",
  ),
  api(
    "auth",
    "login: a body over 64 KiB",
    "POST",
    LOGIN,
    () => anonymous(rawSend(JSON.stringify({ email: freshEmail("csrf"), pad: "x".repeat(70_000) }))),
    413,
    "payload_too_large",
  ),
  api(
    "auth",
    "login: a cross-site Origin",
    "POST",
    LOGIN,
    () => anonymous({ json: { email: freshEmail("csrf") }, origin: "https://evil.example" }),
    403,
    "forbidden_origin",
  ),
  api(
    "auth",
    "login: Origin null (sandboxed frame)",
    "POST",
    LOGIN,
    () => anonymous({ json: { email: freshEmail("csrf") }, origin: "null" }),
    403,
    "forbidden_origin",
  ),
  api(
    "auth",
    "login: Sec-Fetch-Site cross-site without Origin",
    "POST",
    LOGIN,
    () => anonymous({ json: { email: freshEmail("csrf") }, origin: null, headers: { "sec-fetch-site": "cross-site" } }),
    403,
    "forbidden_origin",
  ),
  api(
    "auth",
    "login: a cross-site Origin with a matching X-Forwarded-Host",
    "POST",
    LOGIN,
    () =>
      anonymous({ json: { email: freshEmail("csrf") }, origin: "https://evil.example", headers: { "x-forwarded-host": "evil.example" } }),
    403,
    "forbidden_origin",
  ),
  api("auth", "login: GET instead of POST", "GET", LOGIN, anonymous(), 405),
  api("auth", "session: no cookie", "GET", "/api/auth/session", anonymous(), 401, "unauthorized"),
  api(
    "auth",
    "session: a forged cookie",
    "GET",
    "/api/auth/session",
    anonymous({ headers: { cookie: "chat_session=forged" } }),
    401,
    "unauthorized",
  ),
  api(
    "auth",
    "session: an 8 KB cookie",
    "GET",
    "/api/auth/session",
    anonymous({ headers: { cookie: `chat_session=${"a".repeat(8000)}` } }),
    401,
    "unauthorized",
  ),
  api("auth", "session: POST instead of GET", "POST", "/api/auth/session", {}, 405),
  api(
    "auth",
    "logout: a cross-site Origin (ann stays signed in)",
    "POST",
    "/api/auth/logout",
    { origin: "https://evil.example" },
    403,
    "forbidden_origin",
  ),
  api("auth", "logout: GET instead of POST", "GET", "/api/auth/logout", {}, 405),

  // Sending
  api("send", "malformed JSON", "POST", SEND, rawSend("{"), 400, "invalid_json"),
  api("send", "truncated JSON", "POST", SEND, rawSend('{"recipientId": "'), 400, "invalid_json"),
  api("send", "an empty body", "POST", SEND, rawSend(""), 400, "invalid_json"),
  api("send", "bytes that are not UTF-8", "POST", SEND, rawSend(new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d])), 400, "invalid_json"),
  api(
    "send",
    "JSON with a trailing comma",
    "POST",
    SEND,
    (c) => rawSend(`{"recipientId":"${c.bob.id}","content":"x","clientId":"${randomUUID()}",}`),
    400,
    "invalid_json",
  ),
  api(
    "send",
    "text/plain (the CSRF shape)",
    "POST",
    SEND,
    (c) => rawSend(JSON.stringify(message(c)), "text/plain"),
    415,
    "unsupported_media_type",
  ),
  api(
    "send",
    "a form-encoded body",
    "POST",
    SEND,
    rawSend("content=x", "application/x-www-form-urlencoded"),
    415,
    "unsupported_media_type",
  ),
  api(
    "send",
    "multipart/form-data",
    "POST",
    SEND,
    rawSend("--b\r\n\r\nx\r\n--b--", "multipart/form-data; boundary=b"),
    415,
    "unsupported_media_type",
  ),
  api("send", "no content type", "POST", SEND, (c) => rawSend(JSON.stringify(message(c)), null), 415, "unsupported_media_type"),
  api("send", "a JSON array", "POST", SEND, rawSend("[]"), 422, "validation_failed"),
  api("send", "JSON null", "POST", SEND, rawSend("null"), 422, "validation_failed"),
  api("send", "a JSON string", "POST", SEND, rawSend('"hello"'), 422, "validation_failed"),
  api("send", "a JSON number", "POST", SEND, rawSend("42"), 422, "validation_failed"),
  api("send", "deeply nested arrays", "POST", SEND, rawSend(`${"[".repeat(20_000)}${"]".repeat(20_000)}`), 422, "validation_failed"),
  api("send", "no recipientId", "POST", SEND, send({ recipientId: undefined }), 422, "validation_failed"),
  api("send", "no content", "POST", SEND, send({ content: undefined }), 422, "validation_failed"),
  api("send", "no clientId", "POST", SEND, send({ clientId: undefined }), 422, "validation_failed"),
  api("send", "an extra field (senderId)", "POST", SEND, send({ senderId: randomUUID() }), 422, "validation_failed"),
  api(
    "send",
    "a __proto__ field",
    "POST",
    SEND,
    (c) => rawSend(`{"recipientId":"${c.bob.id}","content":"x","clientId":"${randomUUID()}","__proto__":{"admin":true}}`),
    422,
    "validation_failed",
  ),
  api("send", "content as a number", "POST", SEND, send({ content: 42 }), 422, "validation_failed"),
  api("send", "content as an object", "POST", SEND, send({ content: { $gt: "" } }), 422, "validation_failed"),
  api("send", "content as an array", "POST", SEND, send({ content: ["hi"] }), 422, "validation_failed"),
  api("send", "content null", "POST", SEND, send({ content: null }), 422, "validation_failed"),
  api("send", "empty content", "POST", SEND, send({ content: "" }), 422, "validation_failed"),
  api("send", "whitespace-only content", "POST", SEND, send({ content: " \n\t\u00a0 " }), 422, "validation_failed"),
  api("send", "zero-width-only content", "POST", SEND, send({ content: ZERO_WIDTH }), 422, "validation_failed"),
  api(
    "send",
    "only invisible format characters and spaces",
    "POST",
    SEND,
    send({ content: " \u200b\ufeff\u2060 \u200d " }),
    422,
    "validation_failed",
  ),
  api("send", "content of 4001 characters", "POST", SEND, send({ content: "a".repeat(4001) }), 422, "validation_failed"),
  api("send", "content of 4001 emoji (surrogate pairs)", "POST", SEND, send({ content: "😀".repeat(4001) }), 422, "validation_failed"),
  api("send", "a NUL in content", "POST", SEND, send({ content: "nul\u0000here" }), 422, "validation_failed"),
  api("send", "a lone high surrogate", "POST", SEND, send({ content: "bad\ud83d" }), 422, "validation_failed"),
  api("send", "a lone low surrogate", "POST", SEND, send({ content: "\ude00bad" }), 422, "validation_failed"),
  api("send", "a right-to-left override", "POST", SEND, send({ content: "invoice\u202efdp.exe" }), 422, "validation_failed"),
  api("send", "a left-to-right embedding", "POST", SEND, send({ content: "a\u202ab" }), 422, "validation_failed"),
  api("send", "a bidi isolate", "POST", SEND, send({ content: "a\u2067b" }), 422, "validation_failed"),
  api("send", "a recipient that is not a UUID", "POST", SEND, send({ recipientId: "not-a-uuid" }), 422, "validation_failed"),
  api("send", "a SQL-looking recipient", "POST", SEND, send({ recipientId: "' or 1=1 --" }), 422, "validation_failed"),
  api(
    "send",
    "a recipient UUID with a NUL",
    "POST",
    SEND,
    (c) => ({ json: message(c, { recipientId: `${c.bob.id}\u0000` }) }),
    422,
    "validation_failed",
  ),
  api("send", "a recipient as a number", "POST", SEND, send({ recipientId: 7 }), 422, "validation_failed"),
  api("send", "a clientId that is not a UUID", "POST", SEND, send({ clientId: "1234" }), 422, "validation_failed"),
  api("send", "a 10 KB clientId", "POST", SEND, send({ clientId: "c".repeat(10_000) }), 422, "validation_failed"),
  api("send", "a replyToId that is not a UUID", "POST", SEND, send({ replyToId: "first" }), 422, "validation_failed"),
  api(
    "send",
    "a reply to a message of others' conversation",
    "POST",
    SEND,
    send((c) => ({ replyToId: c.foreignMessageId })),
    422,
    "invalid_reply",
  ),
  api("send", "a reply to no message", "POST", SEND, send({ replyToId: randomUUID() }), 422, "invalid_reply"),
  api("send", "an unknown recipient", "POST", SEND, send({ recipientId: randomUUID() }), 404, "user_not_found"),
  api(
    "send",
    "the nil UUID as recipient",
    "POST",
    SEND,
    send({ recipientId: "00000000-0000-0000-0000-000000000000" }),
    404,
    "user_not_found",
  ),
  api(
    "send",
    "oneself as recipient",
    "POST",
    SEND,
    send((c) => ({ recipientId: c.ann.id })),
    400,
    "cannot_message_self",
  ),
  api(
    "send",
    "a used clientId with other content",
    "POST",
    SEND,
    (c) => ({ json: message(c, { clientId: c.firstSend.clientId, content: "something else" }) }),
    409,
    "client_id_conflict",
  ),
  api(
    "send",
    "a used clientId for another recipient",
    "POST",
    SEND,
    (c) => ({ json: message(c, { clientId: c.firstSend.clientId, recipientId: randomUUID(), content: c.firstSend.content }) }),
    409,
    "client_id_conflict",
  ),
  api("send", "no session", "POST", SEND, (c) => anonymous({ json: message(c) }), 401, "unauthorized"),
  api(
    "send",
    "a forged session cookie",
    "POST",
    SEND,
    (c) => anonymous({ json: message(c), headers: { cookie: "chat_session=forged" } }),
    401,
    "unauthorized",
  ),
  api("send", "a cross-site Origin", "POST", SEND, (c) => ({ json: message(c), origin: "https://evil.example" }), 403, "forbidden_origin"),
  api(
    "send",
    "a cross-site Origin with a matching X-Forwarded-Host",
    "POST",
    SEND,
    (c) => ({ json: message(c), origin: "https://evil.example", headers: { "x-forwarded-host": "evil.example" } }),
    403,
    "forbidden_origin",
  ),
  api("send", "a body over 64 KiB (Content-Length)", "POST", SEND, rawSend(bigJson(70_000)), 413, "payload_too_large"),
  api("send", "a 1 MB body (Content-Length)", "POST", SEND, rawSend(bigJson(1_000_000)), 413, "payload_too_large"),
  {
    area: "send",
    name: "a 200 KB chunked body (no Content-Length)",
    expect: () => ({ status: 413, code: "payload_too_large" }),
    async run(context) {
      const reply = await call(context.stack.baseUrl, "POST", SEND, {
        user: context.ann,
        body: chunked(200_000),
        headers: { "content-type": "application/json" },
      });
      return { status: reply.status, code: reply.body?.error?.code, reply };
    },
  },
  {
    area: "send",
    name: "a chunked body that passes 64 KiB and never ends",
    expect: () => ({ status: 413, code: "payload_too_large" }),
    run: (context) => streamWithoutEnd(context.stack.baseUrl, SEND, context.ann, 256 * 1024),
  },
  // Attachments (none of these stores a row or a file)
  api("attachments", "create: empty body", "POST", ATTACHMENTS, {}, 415, "unsupported_media_type"),
  api("attachments", "create: no fields", "POST", ATTACHMENTS, { json: {} }, 422, "validation_failed"),
  api(
    "attachments",
    "create: size 0",
    "POST",
    ATTACHMENTS,
    (c) => ({ json: { with: c.bob.id, name: "a.txt", size: 0 } }),
    422,
    "validation_failed",
  ),
  api(
    "attachments",
    "create: size not a number",
    "POST",
    ATTACHMENTS,
    (c) => ({ json: { with: c.bob.id, name: "a", size: "9" } }),
    422,
    "validation_failed",
  ),
  api(
    "attachments",
    "create: both with and conversationId",
    "POST",
    ATTACHMENTS,
    (c) => ({ json: { with: c.bob.id, conversationId: randomUUID(), name: "a", size: 1 } }),
    422,
    "validation_failed",
  ),
  api(
    "attachments",
    "create: an unknown field",
    "POST",
    ATTACHMENTS,
    (c) => ({ json: { with: c.bob.id, name: "a", size: 1, path: "/etc" } }),
    422,
    "validation_failed",
  ),
  api(
    "attachments",
    "create: over ATTACHMENT_MAX_BYTES",
    "POST",
    ATTACHMENTS,
    (c) => ({ json: { with: c.bob.id, name: "big.bin", size: 10 ** 12 } }),
    413,
    "attachment_too_large",
  ),
  api(
    "attachments",
    "create: a conversation ann is not in",
    "POST",
    ATTACHMENTS,
    { json: { conversationId: randomUUID(), name: "a", size: 1 } },
    404,
    "conversation_not_found",
  ),
  api(
    "attachments",
    "create: signed out",
    "POST",
    ATTACHMENTS,
    (c) => anonymous({ json: { with: c.bob.id, name: "a", size: 1 } }),
    401,
    "unauthorized",
  ),
  api("attachments", "create: GET instead of POST", "GET", ATTACHMENTS, {}, 405),
  api(
    "attachments",
    "content: an unknown id",
    "PUT",
    () => `${ATTACHMENTS}/${randomUUID()}/content`,
    rawSend("bytes", "application/octet-stream"),
    404,
    "attachment_not_found",
  ),
  api(
    "attachments",
    "content: not a UUID",
    "PUT",
    `${ATTACHMENTS}/not-an-id/content`,
    rawSend("bytes", "application/octet-stream"),
    422,
    "validation_failed",
  ),
  api(
    "attachments",
    "content: from another site",
    "PUT",
    () => `${ATTACHMENTS}/${randomUUID()}/content`,
    { ...rawSend("x", "application/octet-stream"), origin: "https://evil.example" },
    403,
    "forbidden_origin",
  ),
  api("attachments", "complete: an unknown id", "POST", () => `${ATTACHMENTS}/${randomUUID()}/complete`, {}, 404, "attachment_not_found"),
  api("attachments", "complete: GET instead of POST", "GET", () => `${ATTACHMENTS}/${randomUUID()}/complete`, {}, 405),
  api("attachments", "read: an unknown id", "GET", () => `${ATTACHMENTS}/${randomUUID()}`, {}, 404, "attachment_not_found"),
  api("attachments", "read: not a UUID", "GET", `${ATTACHMENTS}/not-an-id`, {}, 422, "validation_failed"),
  api("attachments", "read: an unknown variant", "GET", () => `${ATTACHMENTS}/${randomUUID()}?variant=huge`, {}, 422, "validation_failed"),
  api("attachments", "read: signed out", "GET", () => `${ATTACHMENTS}/${randomUUID()}`, anonymous(), 401, "unauthorized"),
  api(
    "attachments",
    "send: 11 attachmentIds",
    "POST",
    SEND,
    send(() => ({ attachmentIds: Array.from({ length: 11 }, () => randomUUID()) })),
    422,
    "too_many_attachments",
  ),
  api(
    "attachments",
    "send: an unknown attachment",
    "POST",
    SEND,
    send(() => ({ content: undefined, attachmentIds: [randomUUID()] })),
    422,
    "invalid_attachments",
  ),
  api("attachments", "send: attachmentIds not UUIDs", "POST", SEND, send({ attachmentIds: ["x"] }), 422, "validation_failed"),
  api("attachments", "cron: no secret", "GET", "/api/cron/attachments", anonymous(), 401, "unauthorized"),
  api("send", "GET instead of POST", "GET", SEND, {}, 405),
  api("send", "PUT instead of POST", "PUT", SEND, send({}), 405),
  api("send", "DELETE", "DELETE", SEND, {}, 405),

  // History
  api("history", "no with", "GET", "/api/chat/history", {}, 422, "validation_failed"),
  api("history", "with that is not a UUID", "GET", history("with=abc"), {}, 422, "validation_failed"),
  api(
    "history",
    "with as a query-string array",
    "GET",
    history((c) => `with[]=${c.bob.id}`),
    {},
    422,
    "validation_failed",
  ),
  api(
    "history",
    "with as an indexed array",
    "GET",
    history((c) => `with[0]=${c.bob.id}`),
    {},
    422,
    "validation_failed",
  ),
  api(
    "history",
    "with holding a NUL",
    "GET",
    history((c) => `with=${c.bob.id}%00`),
    {},
    422,
    "validation_failed",
  ),
  api(
    "history",
    "with holding a bidi override",
    "GET",
    history((c) => `with=%E2%80%AE${c.bob.id}`),
    {},
    422,
    "validation_failed",
  ),
  api("history", "a text limit", "GET", history(withBob("&limit=lots")), {}, 422, "validation_failed"),
  api("history", "a fractional limit", "GET", history(withBob("&limit=1.5")), {}, 422, "validation_failed"),
  api("history", "a 20-digit limit", "GET", history(withBob("&limit=99999999999999999999")), {}, 422, "validation_failed"),
  api("history", "an exponent limit", "GET", history(withBob("&limit=1e3")), {}, 422, "validation_failed"),
  api("history", "a forged cursor", "GET", history(withBob(`&before=${randomUUID()}`)), {}, 400, "invalid_cursor"),
  api("history", "a forged after cursor", "GET", history(withBob(`&after=${randomUUID()}`)), {}, 400, "invalid_cursor"),
  api(
    "history",
    "a cursor from someone else's conversation",
    "GET",
    history((c) => `with=${c.bob.id}&before=${c.foreignMessageId}`),
    {},
    400,
    "invalid_cursor",
  ),
  api(
    "history",
    "a cursor that is not a UUID",
    "GET",
    history(withBob("&before=1%27%3B%20drop%20table%20messages")),
    {},
    422,
    "validation_failed",
  ),
  api("history", "a bad cursor encoding", "GET", history(withBob("&before=%E0%A4%A")), {}, 422, "validation_failed"),
  api("history", "both cursors", "GET", history(withBob(`&before=${randomUUID()}&after=${randomUUID()}`)), {}, 422, "validation_failed"),
  api("history", "an unknown parameter", "GET", history(withBob("&sort=desc")), {}, 422, "validation_failed"),
  api("history", "a 6 KB with", "GET", history(`with=${"a".repeat(6000)}`), {}, 422, "validation_failed"),
  api("history", "no session", "GET", history(withBob()), anonymous(), 401, "unauthorized"),
  api("history", "POST instead of GET", "POST", history(withBob()), { json: {} }, 405),

  // Message search
  api("search", "no q", "GET", "/api/chat/search", {}, 422, "validation_failed"),
  api("search", "a q of spaces", "GET", "/api/chat/search?q=%20%20", {}, 422, "validation_failed"),
  api("search", "a q over 200 characters", "GET", `/api/chat/search?q=${"a".repeat(201)}`, {}, 422, "validation_failed"),
  api("search", "a q with NUL", "GET", "/api/chat/search?q=a%00b", {}, 422, "validation_failed"),
  api("search", "limit 0", "GET", "/api/chat/search?q=a&limit=0", {}, 422, "validation_failed"),
  api("search", "limit 51", "GET", "/api/chat/search?q=a&limit=51", {}, 422, "validation_failed"),
  api("search", "a text limit", "GET", "/api/chat/search?q=a&limit=lots", {}, 422, "validation_failed"),
  api("search", "a forged cursor", "GET", "/api/chat/search?q=a&cursor=eyJyIjoiMSJ9", {}, 422, "validation_failed"),
  api("search", "a SQL cursor", "GET", "/api/chat/search?q=a&cursor=1%27%3B%20drop%20table%20messages", {}, 422, "validation_failed"),
  api("search", "a conversationId that is not a UUID", "GET", "/api/chat/search?q=a&conversationId=abc", {}, 422, "validation_failed"),
  api(
    "search",
    "someone else's conversation",
    "GET",
    `/api/chat/search?q=a&conversationId=${randomUUID()}`,
    {},
    404,
    "conversation_not_found",
  ),
  api("search", "an unknown parameter", "GET", "/api/chat/search?q=a&sort=date", {}, 422, "validation_failed"),
  api("search", "no session", "GET", "/api/chat/search?q=a", anonymous(), 401, "unauthorized"),
  api("search", "POST instead of GET", "POST", "/api/chat/search?q=a", { json: {} }, 405),

  // Conversations
  api("conversations", "no session", "GET", "/api/chat/conversations", anonymous(), 401, "unauthorized"),
  api(
    "conversations",
    "a forged session cookie",
    "GET",
    "/api/chat/conversations",
    anonymous({ headers: { cookie: "chat_session=x; chat_session=y" } }),
    401,
    "unauthorized",
  ),
  // POST creates a group (issue 14): an empty body is a validation error, not a wrong method.
  api("conversations", "create: an empty object", "POST", "/api/chat/conversations", { json: {} }, 422, "validation_failed"),
  api("conversations", "DELETE instead of GET or POST", "DELETE", "/api/chat/conversations", {}, 405),

  // Editing, deleting and reacting to messages (issue 16)
  api("messages", "edit: an id that is not a UUID", "PATCH", message_("not-a-uuid"), { json: { content: "x" } }, 422, "validation_failed"),
  api("messages", "edit: malformed JSON", "PATCH", foreignMessage, rawSend('{"content":'), 400, "invalid_json"),
  api("messages", "edit: text/plain", "PATCH", foreignMessage, rawSend('{"content":"x"}', "text/plain"), 415, "unsupported_media_type"),
  api("messages", "edit: no content", "PATCH", foreignMessage, { json: {} }, 422, "validation_failed"),
  api("messages", "edit: empty content", "PATCH", foreignMessage, { json: { content: "" } }, 422, "validation_failed"),
  api("messages", "edit: zero-width-only content", "PATCH", foreignMessage, { json: { content: ZERO_WIDTH } }, 422, "validation_failed"),
  api("messages", "edit: 4001 characters", "PATCH", foreignMessage, { json: { content: "a".repeat(4001) } }, 422, "validation_failed"),
  api("messages", "edit: a bidi override", "PATCH", foreignMessage, { json: { content: "a\u202eb" } }, 422, "validation_failed"),
  api("messages", "edit: content as a number", "PATCH", foreignMessage, { json: { content: 7 } }, 422, "validation_failed"),
  api(
    "messages",
    "edit: an extra field (senderId)",
    "PATCH",
    foreignMessage,
    (c) => ({ json: { content: "mine now", senderId: c.ann.id } }),
    422,
    "validation_failed",
  ),
  api("messages", "edit: an unknown message", "PATCH", message_(randomUUID()), { json: { content: "x" } }, 404, "message_not_found"),
  api("messages", "edit: a message of others' conversation", "PATCH", foreignMessage, { json: { content: "x" } }, 404, "message_not_found"),
  api("messages", "edit: no session", "PATCH", foreignMessage, anonymous({ json: { content: "x" } }), 401, "unauthorized"),
  api(
    "messages",
    "edit: a cross-site Origin",
    "PATCH",
    foreignMessage,
    { json: { content: "x" }, origin: "https://evil.example" },
    403,
    "forbidden_origin",
  ),
  api("messages", "edit: a body over 64 KiB", "PATCH", foreignMessage, rawSend(bigJson(70_000)), 413, "payload_too_large"),
  api("messages", "delete: an id that is not a UUID", "DELETE", message_("1 or 1=1"), {}, 422, "validation_failed"),
  api("messages", "delete: a message of others' conversation", "DELETE", foreignMessage, {}, 404, "message_not_found"),
  api("messages", "delete: no session", "DELETE", foreignMessage, anonymous(), 401, "unauthorized"),
  api("messages", "delete: a cross-site Origin", "DELETE", foreignMessage, { origin: "https://evil.example" }, 403, "forbidden_origin"),
  api("messages", "GET a message", "GET", foreignMessage, {}, 405),
  api("messages", "POST to a message", "POST", foreignMessage, { json: { content: "x" } }, 405),
  api("messages", "react: a word, not an emoji", "PUT", reaction("ok"), {}, 422, "validation_failed"),
  api("messages", "react: two emoji", "PUT", reaction(encodeURIComponent("👍👍")), {}, 422, "validation_failed"),
  api("messages", "react: an emoji and a space", "PUT", reaction(encodeURIComponent("👍 ")), {}, 422, "validation_failed"),
  api("messages", "react: a bidi override", "PUT", reaction(encodeURIComponent("\u202e👍")), {}, 422, "validation_failed"),
  api("messages", "react: 200 emoji", "PUT", reaction(encodeURIComponent("😀".repeat(200))), {}, 422, "validation_failed"),
  api(
    "messages",
    "react: a message id that is not a UUID",
    "PUT",
    `/api/chat/messages/abc/reactions/${encodeURIComponent("👍")}`,
    {},
    422,
    "validation_failed",
  ),
  api("messages", "react: a message of others' conversation", "PUT", reaction(encodeURIComponent("👍")), {}, 404, "message_not_found"),
  api("messages", "unreact: a message of others' conversation", "DELETE", reaction(encodeURIComponent("👍")), {}, 404, "message_not_found"),
  api("messages", "react: no session", "PUT", reaction(encodeURIComponent("👍")), anonymous(), 401, "unauthorized"),
  api(
    "messages",
    "react: a cross-site Origin",
    "PUT",
    reaction(encodeURIComponent("👍")),
    { origin: "https://evil.example" },
    403,
    "forbidden_origin",
  ),
  api("messages", "react: POST instead of PUT", "POST", reaction(encodeURIComponent("👍")), { json: {} }, 405),

  // The change stream (issue 16)
  api("changes", "no conversation", "GET", "/api/chat/changes", {}, 422, "validation_failed"),
  api(
    "changes",
    "both with and conversationId",
    "GET",
    changes((c) => `with=${c.bob.id}&conversationId=${randomUUID()}`),
    {},
    422,
    "validation_failed",
  ),
  api("changes", "a conversationId that is not a UUID", "GET", changes("conversationId=abc"), {}, 422, "validation_failed"),
  api("changes", "a negative after", "GET", changes(withBob("&after=-1")), {}, 422, "validation_failed"),
  api("changes", "a fractional after", "GET", changes(withBob("&after=1.5")), {}, 422, "validation_failed"),
  api("changes", "a text after", "GET", changes(withBob("&after=last")), {}, 422, "validation_failed"),
  api("changes", "a 20-digit after", "GET", changes(withBob("&after=99999999999999999999")), {}, 422, "validation_failed"),
  api("changes", "a text limit", "GET", changes(withBob("&limit=all")), {}, 422, "validation_failed"),
  api("changes", "an unknown parameter", "GET", changes(withBob("&since=0")), {}, 422, "validation_failed"),
  api("changes", "someone else's conversation", "GET", changes(`conversationId=${randomUUID()}`), {}, 404, "conversation_not_found"),
  api("changes", "no session", "GET", changes(withBob()), anonymous(), 401, "unauthorized"),
  api("changes", "POST instead of GET", "POST", changes(withBob()), { json: {} }, 405),

  // Read positions
  api("read", "malformed JSON", "POST", READ, rawSend("{seq:1}"), 400, "invalid_json"),
  api(
    "read",
    "text/plain",
    "POST",
    READ,
    (c) => rawSend(JSON.stringify({ peerId: c.bob.id, seq: 1 }), "text/plain"),
    415,
    "unsupported_media_type",
  ),
  api("read", "a negative seq", "POST", READ, (c) => ({ json: { peerId: c.bob.id, seq: -1 } }), 422, "validation_failed"),
  api("read", "seq as a string", "POST", READ, (c) => ({ json: { peerId: c.bob.id, seq: "1" } }), 422, "validation_failed"),
  api("read", "a fractional seq", "POST", READ, (c) => ({ json: { peerId: c.bob.id, seq: 0.5 } }), 422, "validation_failed"),
  api("read", "seq 1e300", "POST", READ, (c) => rawSend(`{"peerId":"${c.bob.id}","seq":1e300}`), 422, "validation_failed"),
  api(
    "read",
    "seq past the safe integers",
    "POST",
    READ,
    (c) => rawSend(`{"peerId":"${c.bob.id}","seq":9007199254740993}`),
    422,
    "validation_failed",
  ),
  api("read", "seq null", "POST", READ, (c) => ({ json: { peerId: c.bob.id, seq: null } }), 422, "validation_failed"),
  api("read", "a peerId that is not a UUID", "POST", READ, { json: { peerId: "bob", seq: 1 } }, 422, "validation_failed"),
  api(
    "read",
    "an extra field (lastReadSeq)",
    "POST",
    READ,
    (c) => ({ json: { peerId: c.bob.id, seq: 0, lastReadSeq: 99 } }),
    422,
    "validation_failed",
  ),
  api("read", "oneself as peer", "POST", READ, (c) => ({ json: { peerId: c.ann.id, seq: 1 } }), 400, "cannot_message_self"),
  api("read", "a peer with no conversation", "POST", READ, { json: { peerId: randomUUID(), seq: 1 } }, 404, "conversation_not_found"),
  api("read", "no session", "POST", READ, (c) => anonymous({ json: { peerId: c.bob.id, seq: 1 } }), 401, "unauthorized"),
  api(
    "read",
    "a cross-site Origin",
    "POST",
    READ,
    (c) => ({ json: { peerId: c.bob.id, seq: 1 }, origin: "https://evil.example" }),
    403,
    "forbidden_origin",
  ),

  // Profile
  api(
    "profile",
    "a display name over 80 characters",
    "PATCH",
    PROFILE,
    { json: { displayName: "n".repeat(81) } },
    422,
    "validation_failed",
  ),
  api("profile", "a display name with a newline", "PATCH", PROFILE, { json: { displayName: "a\nb" } }, 422, "validation_failed"),
  api("profile", "a display name with a NUL", "PATCH", PROFILE, { json: { displayName: "a\u0000b" } }, 422, "validation_failed"),
  api(
    "profile",
    "a display name with a bidi override",
    "PATCH",
    PROFILE,
    { json: { displayName: "Ann\u202enimda" } },
    422,
    "validation_failed",
  ),
  api(
    "profile",
    "a display name with a lone surrogate",
    "PATCH",
    PROFILE,
    { json: { displayName: "Ann\udc00" } },
    422,
    "validation_failed",
  ),
  api("profile", "a display name as a number", "PATCH", PROFILE, { json: { displayName: 7 } }, 422, "validation_failed"),
  api("profile", "no displayName", "PATCH", PROFILE, { json: {} }, 422, "validation_failed"),
  api(
    "profile",
    "an extra field (email)",
    "PATCH",
    PROFILE,
    { json: { displayName: "Ann", email: "admin@example.com" } },
    422,
    "validation_failed",
  ),
  api("profile", "a JSON array", "PATCH", PROFILE, { json: ["Ann"] }, 422, "validation_failed"),
  api("profile", "malformed JSON", "PATCH", PROFILE, rawSend('{"displayName":'), 400, "invalid_json"),
  api("profile", "text/plain", "PATCH", PROFILE, rawSend('{"displayName":"Ann"}', "text/plain"), 415, "unsupported_media_type"),
  api(
    "profile",
    "a cross-site Origin",
    "PATCH",
    PROFILE,
    { json: { displayName: "Ann" }, origin: "https://evil.example" },
    403,
    "forbidden_origin",
  ),
  api("profile", "no session (GET)", "GET", PROFILE, anonymous(), 401, "unauthorized"),
  api("profile", "no session (PATCH)", "PATCH", PROFILE, anonymous({ json: { displayName: "Ann" } }), 401, "unauthorized"),
  api("profile", "POST instead of PATCH", "POST", PROFILE, { json: { displayName: "Ann" } }, 405),

  // User search
  api("users", "no q", "GET", "/api/users", {}, 422, "validation_failed"),
  api("users", "an empty q", "GET", "/api/users?q=", {}, 422, "validation_failed"),
  api("users", "a whitespace q", "GET", "/api/users?q=%20%20%09", {}, 422, "validation_failed"),
  api("users", "a NUL in q", "GET", "/api/users?q=a%00b", {}, 422, "validation_failed"),
  api("users", "a 300-character q", "GET", `/api/users?q=${"a".repeat(300)}`, {}, 422, "validation_failed"),
  api("users", "q as a query-string array", "GET", "/api/users?q[]=a", {}, 422, "validation_failed"),
  api("users", "an unknown parameter", "GET", "/api/users?q=a&limit=1000", {}, 422, "validation_failed"),
  api("users", "no session", "GET", "/api/users?q=a", anonymous(), 401, "unauthorized"),
  api("users", "POST instead of GET", "POST", "/api/users?q=a", { json: {} }, 405),

  // Dev mailbox (off in production: 404 for everything)
  api(
    "dev mailbox",
    "email as a query-string array",
    "GET",
    "/api/dev/mailbox?email[]=a",
    anonymous(),
    (mode) => (mode === "next dev" ? 422 : 404),
    (mode) => (mode === "next dev" ? "validation_failed" : "not_found"),
  ),
  api(
    "dev mailbox",
    "an unknown parameter",
    "GET",
    "/api/dev/mailbox?all=1",
    anonymous(),
    (mode) => (mode === "next dev" ? 422 : 404),
    (mode) => (mode === "next dev" ? "validation_failed" : "not_found"),
  ),
  api(
    "dev mailbox",
    "a 300-character email",
    "GET",
    `/api/dev/mailbox?email=${"a".repeat(300)}`,
    anonymous(),
    (mode) => (mode === "next dev" ? 422 : 404),
    (mode) => (mode === "next dev" ? "validation_failed" : "not_found"),
  ),
  api("dev mailbox", "POST instead of GET", "POST", "/api/dev/mailbox", anonymous({ json: {} }), 405),

  // The magic-link pages
  api("confirm/callback", "confirm: no parameters", "GET", "/auth/confirm", anonymous(), 400, undefined, htmlWithout("<script")),
  api("confirm/callback", "confirm: only a token", "GET", "/auth/confirm?token_hash=abc", anonymous(), 400),
  api("confirm/callback", "confirm: an unknown type", "GET", "/auth/confirm?token_hash=abc&type=admin", anonymous(), 400),
  api(
    "confirm/callback",
    "confirm: a 600-character token",
    "GET",
    `/auth/confirm?token_hash=${"a".repeat(600)}&type=magiclink`,
    anonymous(),
    400,
  ),
  api(
    "confirm/callback",
    "confirm: markup in the token is escaped",
    "GET",
    "/auth/confirm?token_hash=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E&type=magiclink",
    anonymous(),
    200,
    undefined,
    htmlWithout("<script>alert(1)"),
  ),
  api(
    "confirm/callback",
    "confirm: an open redirect in next",
    "GET",
    "/auth/confirm?token_hash=abc&type=magiclink&next=%2F%2Fevil.example",
    anonymous(),
    200,
    undefined,
    htmlWithout("evil.example"),
  ),
  api(
    "confirm/callback",
    "confirm: an unknown token",
    "POST",
    "/auth/confirm",
    anonymous({ raw: "token_hash=unknown&type=magiclink&next=%2Fchat", type: "application/x-www-form-urlencoded" }),
    403,
    undefined,
    noSessionCookie,
  ),
  api(
    "confirm/callback",
    "confirm: a cross-site form post",
    "POST",
    "/auth/confirm",
    anonymous({ raw: "token_hash=unknown&type=magiclink", type: "application/x-www-form-urlencoded", origin: "https://evil.example" }),
    403,
    undefined,
    noSessionCookie,
  ),
  api(
    "confirm/callback",
    "confirm: a JSON body instead of a form",
    "POST",
    "/auth/confirm",
    anonymous({ raw: '{"token_hash":"x"}', type: "application/json" }),
    400,
    undefined,
    noSessionCookie,
  ),
  api(
    "confirm/callback",
    "confirm: a form without a token",
    "POST",
    "/auth/confirm",
    anonymous({ raw: "type=magiclink", type: "application/x-www-form-urlencoded" }),
    400,
    undefined,
    noSessionCookie,
  ),
  api("confirm/callback", "callback: no code", "GET", "/auth/callback", anonymous(), 400),
  api("confirm/callback", "callback: a 600-character code", "GET", `/auth/callback?code=${"c".repeat(600)}`, anonymous(), 400),
  api(
    "confirm/callback",
    "callback: a provider error_description is not shown",
    "GET",
    "/auth/callback?error=access_denied&error_description=Your%20account%20is%20locked%2C%20call%20%2B1-555-0100",
    anonymous(),
    400,
    undefined,
    htmlWithout("call +1-555-0100"),
  ),
  api(
    "confirm/callback",
    "callback: markup in error_description",
    "GET",
    "/auth/callback?error_description=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
    anonymous(),
    400,
    undefined,
    htmlWithout("<img src=x"),
  ),

  // Socket handshake
  handshake("no auth at all", undefined),
  handshake("no token", {}),
  handshake("an empty token", { token: "" }),
  handshake("a token that is not a JWT", { token: "not-a-jwt" }),
  handshake("a token as a number", { token: 42 }),
  handshake("a token as an object", { token: { sub: "x" } }),
  handshake("a token signed with another secret", tokenWith({}, "another-secret-that-is-long-enough-0123456789")),
  handshake("an expired token", tokenWith({ expiresIn: -60 })),
  handshake("a token without exp", tokenWith({ expiresIn: undefined })),
  handshake("alg: none", (c) => ({
    token: unsignedToken({ sub: c.ann.id, role: "authenticated", aud: "authenticated", exp: Math.floor(Date.now() / 1000) + 600 }),
  })),
  handshake("role anon", tokenWith({ role: "anon" })),
  handshake("role service_role", tokenWith({ role: "service_role" })),
  handshake("aud of another service", tokenWith({ aud: "admin" })),
  handshake("a sub that is not a UUID", tokenWith({ sub: "ann" })),
  handshake("a tampered payload", async (c) => {
    const [header, , signature] = (await signToken(c.stack.authJwtSecret, claims(c))).split(".");
    const payload = Buffer.from(JSON.stringify({ ...claims(c, { sub: c.bob.id }), exp: Math.floor(Date.now() / 1000) + 600 })).toString(
      "base64url",
    );
    return { token: `${header}.${payload}.${signature}` };
  }),

  // Webhook receiver
  webhook(
    "no signature headers",
    (c) => ({ body: pushToAnn(c), headers: { "content-type": "application/json" } }),
    401,
    "invalid_signature",
  ),
  webhook(
    "a forged signature",
    (c) => ({
      body: pushToAnn(c),
      headers: { ...signed(pushToAnn)(c).headers, "webhook-signature": `v1,${Buffer.alloc(32).toString("base64")}` },
    }),
    401,
    "invalid_signature",
  ),
  webhook(
    "signed with another secret",
    (c) => signPush(`whsec_${Buffer.alloc(32, 7).toString("base64")}`, pushToAnn(c)),
    401,
    "invalid_signature",
  ),
  webhook(
    "a body changed after signing",
    (c) => {
      const push = signed(pushToAnn)(c);
      return { headers: push.headers, body: push.body.replace("catalogue push", "tampered push") };
    },
    401,
    "invalid_signature",
  ),
  webhook("a timestamp 10 minutes old", signed(pushToAnn, -10 * 60_000), 401, "invalid_signature"),
  webhook("a timestamp 10 minutes ahead", signed(pushToAnn, 10 * 60_000), 401, "invalid_signature"),
  webhook(
    "a timestamp that is not a number",
    (c) => {
      const push = signed(pushToAnn)(c);
      return { body: push.body, headers: { ...push.headers, "webhook-timestamp": `${push.headers["webhook-timestamp"]}abc` } };
    },
    401,
    "invalid_signature",
  ),
  webhook(
    "signed bytes that are not UTF-8",
    (c) => ({ body: new Uint8Array([0x7b, 0xff, 0x7d]), headers: signed(() => "{\ufffd}")(c).headers }),
    401,
    "invalid_signature",
  ),
  webhook(
    "signed, but not JSON",
    signed(() => "{not json"),
    422,
    "invalid_payload",
  ),
  webhook(
    "signed, an unknown type",
    signed((c) => JSON.stringify({ type: "user.deleted", data: { userId: c.ann.id } })),
    422,
    "invalid_payload",
  ),
  webhook(
    "signed, a message without content",
    signed((c) => pushToAnn(c, { content: "" })),
    422,
    "invalid_payload",
  ),
  webhook(
    "signed, a recipient that is not a UUID",
    signed((c) => pushToAnn(c, { recipientId: "ann" })),
    422,
    "invalid_payload",
  ),
  webhook(
    "signed, seq 0",
    signed((c) => pushToAnn(c, { seq: 0 })),
    422,
    "invalid_payload",
  ),
  webhook(
    "signed, a JSON array",
    signed(() => "[]"),
    422,
    "invalid_payload",
  ),
  webhook("a body over 64 KiB", (c) => signed(() => pushToAnn(c, {}, "x".repeat(70_000)))(c), 413, "payload_too_large"),
];
