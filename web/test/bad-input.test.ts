import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getServices } from "@/server/context";
import * as healthz from "@/app/healthz/route";
import { startTestApp } from "./support/app-env";
import { call, signIn, type CallOptions } from "./support/routes";

// The bad-input catalogue: every case must answer a 4xx with the right code, store nothing,
// and leave the server answering. None may give a 5xx.
let app: Awaited<ReturnType<typeof startTestApp>>;
let ann: { cookie: string; userId: string };
let bob: { cookie: string; userId: string };
// A conversation must exist, so a forged cursor is checked against it, not short-circuited.
let annToBob: { id: string; clientId: string };

beforeAll(async () => {
  app = await startTestApp();
  ann = await signIn("ann@example.com");
  bob = await signIn("bob@example.com");
  annToBob = (
    await call("POST", "/api/chat/send", { cookie: ann.cookie, json: { recipientId: bob.userId, content: "hi", clientId: randomUUID() } })
  ).body.data;
});
afterAll(() => app.stop());

const counts = async () => {
  const { local } = await getServices();
  const [row] = await local!.db.query<{ messages: number; users: number; mails: number }>(
    `select (select count(*)::int from public.messages) as messages, (select count(*)::int from auth.users) as users,
            (select count(*)::int from embedded_auth.dev_mailbox) as mails`,
  );
  return row!;
};

type Case = [
  name: string,
  method: "GET" | "POST" | "PATCH",
  path: string,
  options: (ctx: Ctx) => CallOptions,
  status: number,
  code: string,
];
interface Ctx {
  ann: typeof ann;
  bob: typeof bob;
  msg: (patch: Record<string, unknown>) => Record<string, unknown>;
}
const json =
  (body: unknown, cookie?: (c: Ctx) => string) =>
  (c: Ctx): CallOptions => ({ json: body, cookie: cookie?.(c) });
const asAnn = (c: Ctx) => c.ann.cookie;
const send =
  (patch: Record<string, unknown> | ((c: Ctx) => Record<string, unknown>)) =>
  (c: Ctx): CallOptions => ({
    cookie: c.ann.cookie,
    json: c.msg(typeof patch === "function" ? patch(c) : patch),
  });
const raw =
  (body: string, type: string | null, cookie = true) =>
  (c: Ctx): CallOptions => ({
    body,
    cookie: cookie ? c.ann.cookie : undefined,
    headers: type ? { "content-type": type } : {},
  });

const cases: Case[] = [
  // Body framing
  ["malformed JSON", "POST", "/api/chat/send", raw("{", "application/json"), 400, "invalid_json"],
  ["truncated JSON", "POST", "/api/chat/send", raw('{"recipientId": "', "application/json"), 400, "invalid_json"],
  ["empty body", "POST", "/api/chat/send", raw("", "application/json"), 400, "invalid_json"],
  ["invalid UTF-8 body", "POST", "/api/chat/send", raw("\xff\xfe", "application/json"), 400, "invalid_json"],
  ["text/plain JSON (CSRF shape)", "POST", "/api/chat/send", raw('{"content":"x"}', "text/plain"), 415, "unsupported_media_type"],
  ["form-encoded body", "POST", "/api/chat/send", raw("content=x", "application/x-www-form-urlencoded"), 415, "unsupported_media_type"],
  ["no content type", "POST", "/api/chat/send", raw('{"content":"x"}', null), 415, "unsupported_media_type"],
  ["a JSON array", "POST", "/api/chat/send", raw("[]", "application/json"), 422, "validation_failed"],
  ["JSON null", "POST", "/api/chat/send", raw("null", "application/json"), 422, "validation_failed"],
  ["a body over 64 KiB", "POST", "/api/chat/send", send({ content: "x".repeat(70_000) }), 413, "payload_too_large"],
  // Fields
  ["missing recipientId", "POST", "/api/chat/send", send({ recipientId: undefined }), 422, "validation_failed"],
  ["missing content", "POST", "/api/chat/send", send({ content: undefined }), 422, "validation_failed"],
  ["missing clientId", "POST", "/api/chat/send", send({ clientId: undefined }), 422, "validation_failed"],
  ["an extra field (senderId)", "POST", "/api/chat/send", send({ senderId: randomUUID() }), 422, "validation_failed"],
  ["content as a number", "POST", "/api/chat/send", send({ content: 42 }), 422, "validation_failed"],
  ["content as an object", "POST", "/api/chat/send", send({ content: { $gt: "" } }), 422, "validation_failed"],
  ["whitespace-only content", "POST", "/api/chat/send", send({ content: " \n\t " }), 422, "validation_failed"],
  ["content of 4001 characters", "POST", "/api/chat/send", send({ content: "a".repeat(4001) }), 422, "validation_failed"],
  ["a NUL byte in content", "POST", "/api/chat/send", send({ content: "nul\u0000here" }), 422, "validation_failed"],
  ["a lone high surrogate", "POST", "/api/chat/send", send({ content: "bad\ud83d" }), 422, "validation_failed"],
  ["a lone low surrogate", "POST", "/api/chat/send", send({ content: "\ude00bad" }), 422, "validation_failed"],
  ["a right-to-left override", "POST", "/api/chat/send", send({ content: "invoice\u202Efdp.exe" }), 422, "validation_failed"],
  ["a bidi isolate", "POST", "/api/chat/send", send({ content: "a\u2067b" }), 422, "validation_failed"],
  ["zero-width-space-only content", "POST", "/api/chat/send", send({ content: "\u200b\u200b\u200b" }), 422, "validation_failed"],
  ["joiners, word joiner and NBSP only", "POST", "/api/chat/send", send({ content: "\u200d\u2060\u00a0\u200c" }), 422, "validation_failed"],
  ["a BOM and soft hyphens only", "POST", "/api/chat/send", send({ content: "\ufeff\u00ad\u00ad" }), 422, "validation_failed"],
  ["invisible tag characters only", "POST", "/api/chat/send", send({ content: "\u{e0001}\u{e0068}\u{e0069}" }), 422, "validation_failed"],
  [
    "a reused clientId with other content",
    "POST",
    "/api/chat/send",
    send(() => ({ clientId: annToBob.clientId, content: "rewritten" })),
    409,
    "client_id_conflict",
  ],
  [
    "a reused clientId for another recipient",
    "POST",
    "/api/chat/send",
    send(() => ({ clientId: annToBob.clientId, content: "hi", recipientId: randomUUID() })),
    409,
    "client_id_conflict",
  ],
  ["an invalid recipient UUID", "POST", "/api/chat/send", send({ recipientId: "not-a-uuid" }), 422, "validation_failed"],
  ["a SQL-looking recipient", "POST", "/api/chat/send", send({ recipientId: "' or 1=1 --" }), 422, "validation_failed"],
  ["an invalid clientId", "POST", "/api/chat/send", send({ clientId: "1234" }), 422, "validation_failed"],
  ["an unknown recipient", "POST", "/api/chat/send", send({ recipientId: randomUUID() }), 404, "user_not_found"],
  ["oneself as recipient", "POST", "/api/chat/send", send((c) => ({ recipientId: c.ann.userId })), 400, "cannot_message_self"],
  ["no session", "POST", "/api/chat/send", (c) => ({ json: c.msg({}) }), 401, "unauthorized"],
  ["a forged session cookie", "POST", "/api/chat/send", (c) => ({ json: c.msg({}), cookie: "chat_session=forged" }), 401, "unauthorized"],
  [
    "a cross-site Origin",
    "POST",
    "/api/chat/send",
    (c) => ({ json: c.msg({}), cookie: c.ann.cookie, headers: { origin: "https://evil.example" } }),
    403,
    "forbidden_origin",
  ],
  // History queries
  ["history without with", "GET", "/api/chat/history", (c) => ({ cookie: c.ann.cookie }), 422, "validation_failed"],
  ["history with a non-UUID peer", "GET", "/api/chat/history?with=abc", (c) => ({ cookie: c.ann.cookie }), 422, "validation_failed"],
  [
    "history with a text limit",
    "GET",
    "/api/chat/history?with=BOB&limit=lots",
    (c) => ({ cookie: c.ann.cookie }),
    422,
    "validation_failed",
  ],
  [
    "history with a huge-digit limit",
    "GET",
    "/api/chat/history?with=BOB&limit=99999999999999999999",
    (c) => ({ cookie: c.ann.cookie }),
    422,
    "validation_failed",
  ],
  [
    "history with a forged cursor",
    "GET",
    "/api/chat/history?with=BOB&before=RANDOM",
    (c) => ({ cookie: c.ann.cookie }),
    400,
    "invalid_cursor",
  ],
  [
    "history with an injected cursor",
    "GET",
    "/api/chat/history?with=BOB&before=1%27%3B%20drop%20table%20messages",
    (c) => ({ cookie: c.ann.cookie }),
    422,
    "validation_failed",
  ],
  [
    "history with both cursors",
    "GET",
    "/api/chat/history?with=BOB&before=RANDOM&after=RANDOM",
    (c) => ({ cookie: c.ann.cookie }),
    422,
    "validation_failed",
  ],
  [
    "history with an unknown parameter",
    "GET",
    "/api/chat/history?with=BOB&sort=desc",
    (c) => ({ cookie: c.ann.cookie }),
    422,
    "validation_failed",
  ],
  // Users, read, profile
  ["user search without q", "GET", "/api/users", (c) => ({ cookie: c.ann.cookie }), 422, "validation_failed"],
  ["user search with a NUL", "GET", "/api/users?q=a%00b", (c) => ({ cookie: c.ann.cookie }), 422, "validation_failed"],
  ["read with a negative seq", "POST", "/api/chat/read", json({ peerId: randomUUID(), seq: -1 }, asAnn), 422, "validation_failed"],
  ["read with a string seq", "POST", "/api/chat/read", json({ peerId: randomUUID(), seq: "1" }, asAnn), 422, "validation_failed"],
  ["a display name over 80", "PATCH", "/api/profile", json({ displayName: "n".repeat(81) }, asAnn), 422, "validation_failed"],
  ["a display name with a newline", "PATCH", "/api/profile", json({ displayName: "a\nb" }, asAnn), 422, "validation_failed"],
  // Login
  ["login without email", "POST", "/api/auth/login", json({}), 400, "invalid_email"],
  ["login with a non-email", "POST", "/api/auth/login", json({ email: "not an email" }), 400, "invalid_email"],
  ["login with a 300-char email", "POST", "/api/auth/login", json({ email: `${"a".repeat(290)}@example.com` }), 400, "invalid_email"],
  ["login with an email array", "POST", "/api/auth/login", json({ email: ["a@example.com"] }), 400, "invalid_email"],
  [
    "login with a header-injection email",
    "POST",
    "/api/auth/login",
    json({ email: "a@example.com\r\nBcc: all@example.com" }),
    400,
    "invalid_email",
  ],
];

describe("bad input catalogue", () => {
  it("has at least 40 cases", () => expect(cases.length).toBeGreaterThanOrEqual(40));

  it.each(cases)("when %s, then %s %s answers its 4xx and stores nothing", async (_name, method, path, options, status, code) => {
    const ctx: Ctx = { ann, bob, msg: (patch) => ({ recipientId: bob.userId, content: "hello", clientId: randomUUID(), ...patch }) };
    const before = await counts();
    const url = path.replaceAll("BOB", bob.userId).replaceAll("RANDOM", randomUUID());
    const res = await call(method, url, options(ctx));
    expect(res.status).toBe(status);
    expect(res.body?.error?.code).toBe(code);
    expect(typeof res.body.error.message).toBe("string");
    expect(await counts()).toEqual(before);
    expect(healthz.GET().status).toBe(200);
  });

  it("when HTML or script is sent as content, then it is stored as plain text (the browser test shows it as text)", async () => {
    const payload = `<img src=x onerror=alert(1)><script>alert("x")</script>`;
    const res = await call("POST", "/api/chat/send", {
      cookie: ann.cookie,
      json: { recipientId: bob.userId, content: payload, clientId: randomUUID() },
    });
    expect([res.status, res.body.data.content]).toEqual([201, payload]);
  });

  it.each([["//evil.example"], ["https://evil.example"], ["/\\evil.example"], ["javascript:alert(1)"]])(
    "when login next is the open redirect %j, then the link keeps a same-site path",
    async (next) => {
      const email = `redirect-${randomUUID().slice(0, 8)}@example.com`;
      expect((await call("POST", "/api/auth/login", { json: { email, next } })).status).toBe(200);
      const mail = await call("GET", `/api/dev/mailbox?email=${email}`);
      expect(new URL(mail.body.data[0].link).searchParams.get("next")).toBe("/chat");
    },
  );
});
