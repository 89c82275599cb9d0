import { randomUUID } from "node:crypto";
import { request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { jwtVerify } from "jose";
import serverless from "serverless-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeManifest } from "@/app/route-manifest";
import { mountRoute } from "@/server/express/adapter";
import { createAuthApp, createChatApp, servicesOf } from "@/server/express/apps";
import { authHandler, chatHandler } from "@/scripts/lambda";
import { startTestApp, TEST_JWT_SECRET } from "./support/app-env";
import { waitFor } from "./support/push-receiver";

/**
 * The auth and chat services mounted on Express (real HTTP on port 0) and wrapped by
 * serverless-http (API Gateway events), both running the Next.js route handlers.
 */

let app: Awaited<ReturnType<typeof startTestApp>>;
const servers: Server[] = [];
let authUrl: string;
let chatUrl: string;

async function listen(handler: express.Express): Promise<string> {
  const server = handler.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => server.once("listening", resolve).once("error", reject));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  app = await startTestApp();
  authUrl = await listen(createAuthApp(routeManifest));
  chatUrl = await listen(createChatApp(routeManifest));
});
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await app.stop();
});

interface Call {
  json?: unknown;
  body?: BodyInit;
  form?: Record<string, string>;
  cookie?: string;
  headers?: Record<string, string>;
}

interface Answer {
  status: number;
  headers: Headers;
  cookies: string[];
  text: string;
  body: any;
}

/** One mount of both services: how a request reaches them. */
interface Mount {
  auth(method: string, path: string, call?: Call): Promise<Answer>;
  chat(method: string, path: string, call?: Call): Promise<Answer>;
}

function requestParts({ json, body, form, cookie, headers: extra }: Call = {}) {
  const headers: Record<string, string> = { ...extra };
  if (json !== undefined) {
    body = JSON.stringify(json);
    headers["content-type"] ??= "application/json";
  }
  if (form) {
    body = new URLSearchParams(form).toString();
    headers["content-type"] = "application/x-www-form-urlencoded";
  }
  if (cookie) headers.cookie = cookie;
  return { headers, body };
}

function answer(status: number, headers: Headers, cookies: string[], text: string): Answer {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // HTML pages and redirects have no JSON body.
  }
  return { status, headers, cookies, text, body };
}

const overHttp: Mount = {
  auth: (method, path, call) => fetchFrom(authUrl, method, path, call),
  chat: (method, path, call) => fetchFrom(chatUrl, method, path, call),
};

async function fetchFrom(base: string, method: string, path: string, call?: Call): Promise<Answer> {
  const { headers, body } = requestParts(call);
  const res = await fetch(new URL(path, base), { method, headers, body, redirect: "manual" });
  return answer(res.status, res.headers, res.headers.getSetCookie(), await res.text());
}

/** An API Gateway HTTP API (payload 2.0) event, as Lambda hands it to the handler. */
function gatewayEvent(method: string, path: string, call?: Call) {
  const { headers, body } = requestParts(call);
  const url = new URL(path, "https://api.example.com");
  const { cookie, ...rest } = headers;
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    // API Gateway v2 moves the Cookie header into `cookies`.
    cookies: cookie ? cookie.split("; ") : undefined,
    headers: { host: "api.example.com", ...rest },
    requestContext: {
      http: { method, path: url.pathname, protocol: "HTTP/1.1", sourceIp: "203.0.113.7", userAgent: "test" },
      requestId: randomUUID(),
      stage: "$default",
    },
    body: typeof body === "string" ? body : undefined,
    isBase64Encoded: false,
  };
}

interface GatewayResult {
  statusCode: number;
  headers: Record<string, string>;
  cookies?: string[];
  body: string;
}

const overLambda: Mount = {
  auth: (method, path, call) => invoke(authHandler, method, path, call),
  chat: (method, path, call) => invoke(chatHandler, method, path, call),
};

async function invoke(handler: serverless.Handler, method: string, path: string, call?: Call): Promise<Answer> {
  const result = (await handler(gatewayEvent(method, path, call), {})) as GatewayResult;
  return answer(result.statusCode, new Headers(result.headers), result.cookies ?? [], result.body);
}

/** The magic-link flow through the auth service: login → dev mailbox → confirm → session. */
async function signIn(mount: Mount, email: string) {
  const sent = await mount.auth("POST", "/api/auth/login", { json: { email, next: "/chat" } });
  expect(sent.status, sent.text).toBe(200);
  // The dev mailbox answers loopback clients only: read it over HTTP on 127.0.0.1 (both mounts
  // share one state), since a Lambda request comes from its gateway's source IP.
  const mail = await overHttp.auth("GET", `/api/dev/mailbox?email=${encodeURIComponent(email)}`);
  const link = new URL(mail.body.data[0].link);
  const confirmed = await mount.auth("POST", "/auth/confirm", {
    form: {
      token_hash: link.searchParams.get("token_hash")!,
      type: link.searchParams.get("type")!,
      next: link.searchParams.get("next")!,
    },
  });
  expect(confirmed.status, confirmed.text).toBe(303);
  expect(confirmed.headers.get("location")).toBe("/chat");
  expect(confirmed.cookies).toHaveLength(1);
  const cookie = confirmed.cookies[0]!.split(";")[0]!;
  const session = await mount.auth("GET", "/api/auth/session", { cookie });
  expect(session.status).toBe(200);
  return { cookie, setCookie: confirmed.cookies[0]!, userId: session.body.data.user.id as string, session: session.body.data };
}

describe.each([
  ["Express over HTTP", overHttp],
  ["serverless-http with API Gateway v2 events", overLambda],
])("%s", (_name, mount) => {
  it("when a user signs in by magic link, then the cookie is set and the session carries a Supabase-shaped JWT", async () => {
    const email = `${randomUUID()}@example.com`;
    const { setCookie, userId, session } = await signIn(mount, email);
    expect(setCookie).toMatch(/^chat_session=[^;]+;/);
    expect(setCookie.toLowerCase()).toContain("httponly");
    expect(setCookie.toLowerCase()).toContain("samesite=lax");
    const { payload } = await jwtVerify(session.accessToken, new TextEncoder().encode(TEST_JWT_SECRET), { audience: "authenticated" });
    expect(payload).toMatchObject({ sub: userId, email, role: "authenticated" });
  });

  it("when a signed-in user sends through the chat service, then it is stored, pushed, and in the peer's history", async () => {
    const ann = await signIn(mount, `${randomUUID()}@example.com`);
    const bob = await signIn(mount, `${randomUUID()}@example.com`);
    const clientId = randomUUID();
    const sent = await mount.chat("POST", "/api/chat/send", {
      cookie: ann.cookie,
      json: { recipientId: bob.userId, content: " hi bob ", clientId },
    });
    expect(sent.status, sent.text).toBe(201);
    expect(sent.body.data).toMatchObject({ senderId: ann.userId, recipientId: bob.userId, content: "hi bob", clientId });
    // Outside Next.js, `after()` is unavailable: the push runs right away instead.
    await waitFor(() => app.receiver.received.find((p) => p.id === `msg_${sent.body.data.id}`));

    const again = await mount.chat("POST", "/api/chat/send", {
      cookie: ann.cookie,
      json: { recipientId: bob.userId, content: "hi bob", clientId },
    });
    expect([again.status, again.body.data.id]).toEqual([200, sent.body.data.id]);

    const history = await mount.chat("GET", `/api/chat/history?with=${ann.userId}&limit=10`, { cookie: bob.cookie });
    expect(history.status).toBe(200);
    expect(history.body.data).toEqual({ messages: [sent.body.data], nextBefore: null });
    const conversations = await mount.chat("GET", "/api/chat/conversations", { cookie: bob.cookie });
    expect(conversations.body.data[0].peer.id).toBe(ann.userId);
  });

  it("when signing out, then the cookie is cleared and the session is gone", async () => {
    const { cookie } = await signIn(mount, `${randomUUID()}@example.com`);
    const out = await mount.auth("POST", "/api/auth/logout", { cookie });
    expect([out.status, out.body]).toEqual([200, { data: { signedOut: true } }]);
    expect(out.cookies[0]).toMatch(/^chat_session=;.*Max-Age=0/i);
    expect((await mount.auth("GET", "/api/auth/session", { cookie })).status).toBe(401);
  });

  describe("error shapes", () => {
    let cookie: string;
    beforeAll(async () => {
      ({ cookie } = await signIn(mount, `${randomUUID()}@example.com`));
    });

    it("when the body is not declared JSON, then 415", async () => {
      const res = await mount.auth("POST", "/api/auth/login", {
        body: '{"email":"a@example.com"}',
        headers: { "content-type": "text/plain" },
      });
      expect([res.status, res.body.error.code]).toEqual([415, "unsupported_media_type"]);
    });

    it("when the body is malformed JSON, then 400 invalid_json", async () => {
      const res = await mount.chat("POST", "/api/chat/send", { cookie, body: "{", headers: { "content-type": "application/json" } });
      expect(res.body).toEqual({ error: { code: "invalid_json", message: expect.any(String) } });
      expect(res.status).toBe(400);
    });

    it("when there is no session, then 401", async () => {
      const res = await mount.chat("GET", `/api/chat/history?with=${randomUUID()}`);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
    });

    it("when the input fails the schema, then 422 with the issues", async () => {
      const res = await mount.chat("POST", "/api/chat/send", { cookie, json: { recipientId: "nope", content: "", clientId: 1 } });
      expect([res.status, res.body.error.code]).toEqual([422, "validation_failed"]);
      expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: "recipientId" })]));
    });

    it("when the route is unknown or belongs to the other service, then a JSON 404", async () => {
      for (const res of [
        await mount.chat("GET", "/api/nope"),
        await mount.chat("POST", "/api/auth/login", { json: {} }),
        await mount.auth("GET", "/api/users?q=a"),
      ]) {
        expect(res.status).toBe(404);
        expect(res.headers.get("content-type")).toContain("application/json");
        expect(res.body).toEqual({ error: { code: "not_found", message: expect.any(String) } });
      }
    });

    it("when the method is not the route's, then 405 naming the allowed ones", async () => {
      const res = await mount.chat("DELETE", "/api/chat/send", { cookie });
      expect([res.status, res.body.error.code, res.headers.get("allow")]).toEqual([405, "method_not_allowed", "POST"]);
    });

    it("when a browser posts from another site, then 403 forbidden_origin", async () => {
      const res = await mount.auth("POST", "/api/auth/logout", { cookie, headers: { origin: "https://evil.example" } });
      expect([res.status, res.body.error.code]).toEqual([403, "forbidden_origin"]);
    });
  });
});

describe("both mounts share one state", () => {
  it("when signed in through Lambda, then the cookie works over HTTP, and messages sent either way are one history", async () => {
    const ann = await signIn(overLambda, `${randomUUID()}@example.com`);
    const bob = await signIn(overHttp, `${randomUUID()}@example.com`);
    const viaLambda = await overLambda.chat("POST", "/api/chat/send", {
      cookie: ann.cookie,
      json: { recipientId: bob.userId, content: "one", clientId: randomUUID() },
    });
    const viaHttp = await overHttp.chat("POST", "/api/chat/send", {
      cookie: ann.cookie,
      json: { recipientId: bob.userId, content: "two", clientId: randomUUID() },
    });
    expect([viaLambda.status, viaHttp.status]).toEqual([201, 201]);
    const history = await overLambda.chat("GET", `/api/chat/history?with=${ann.userId}`, { cookie: bob.cookie });
    expect(history.body.data.messages.map((m: { content: string }) => m.content)).toEqual(["one", "two"]);
  });
});

describe("the adapter", () => {
  // A stand-in route handler that echoes what it was given and sets two cookies.
  const echo = express().post(
    "/echo",
    mountRoute(async (request) => {
      const headers = new Headers({ "content-type": "application/json", "x-extra": "1" });
      headers.append("set-cookie", "a=1; Path=/");
      headers.append("set-cookie", "b=2; Path=/; HttpOnly");
      const body = {
        method: request.method,
        url: request.url,
        pathname: request.nextUrl.pathname,
        cookie: request.headers.get("cookie"),
        forwardedFor: request.headers.get("x-forwarded-for"),
        forwardedProto: request.headers.get("x-forwarded-proto"),
        body: await request.text(),
      };
      return new Response(JSON.stringify(body), { status: 202, headers });
    }),
  );

  it("when a handler sets several cookies, then each is its own Set-Cookie over HTTP, and the request arrives whole", async () => {
    const base = await listen(echo);
    const res = await fetch(`${base}/echo?x=1`, {
      method: "POST",
      body: "raw ✓",
      headers: { cookie: "s=1; t=2", "content-type": "text/plain" },
    });
    expect(res.status).toBe(202);
    expect(res.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Path=/; HttpOnly"]);
    expect(res.headers.get("x-extra")).toBe("1");
    expect(await res.json()).toEqual({
      method: "POST",
      // NextRequest spells 127.0.0.1 as localhost, as it does inside Next.js.
      url: `${base.replace("127.0.0.1", "localhost")}/echo?x=1`,
      pathname: "/echo",
      cookie: "s=1; t=2",
      forwardedFor: "127.0.0.1",
      forwardedProto: "http",
      body: "raw ✓",
    });
  });

  it("when wrapped by serverless-http, then the cookies come back as the v2 `cookies` list and v1 multiValueHeaders", async () => {
    const handler = serverless(echo);
    const v2 = (await handler(gatewayEvent("POST", "/echo?x=1", { body: "raw", cookie: "s=1; t=2" }), {})) as GatewayResult;
    expect(v2.statusCode).toBe(202);
    expect(v2.cookies).toEqual(["a=1; Path=/", "b=2; Path=/; HttpOnly"]);
    expect(JSON.parse(v2.body)).toMatchObject({
      url: "https://api.example.com/echo?x=1",
      cookie: "s=1; t=2",
      forwardedFor: "203.0.113.7",
      body: "raw",
    });
    const v1 = (await handler(
      {
        httpMethod: "POST",
        path: "/echo",
        headers: { host: "api.example.com" },
        requestContext: { identity: { sourceIp: "203.0.113.8" } },
        body: "raw",
      },
      {},
    )) as { statusCode: number; multiValueHeaders: Record<string, string[]> };
    expect(v1.statusCode).toBe(202);
    expect(v1.multiValueHeaders["set-cookie"]).toEqual(["a=1; Path=/", "b=2; Path=/; HttpOnly"]);
  });

  it("when the body is over 64 KiB, declared or streamed, then 413 before the handler runs", async () => {
    const big = JSON.stringify({ content: "x".repeat(70 * 1024) });
    const declared = await overHttp.chat("POST", "/api/chat/send", { body: big, headers: { "content-type": "application/json" } });
    expect([declared.status, declared.body.error.code]).toEqual([413, "payload_too_large"]);
    // No Content-Length: a chunked upload is counted as it arrives.
    const stream = new Blob([big]).stream();
    const res = await fetch(`${chatUrl}/api/chat/send`, {
      method: "POST",
      body: stream,
      headers: { "content-type": "application/json" },
      duplex: "half",
    } as RequestInit);
    expect([res.status, (await res.json()).error.code]).toEqual([413, "payload_too_large"]);
  });

  it("when 50 MB stream in chunked, then the 413 comes long before the upload ends and the connection is closed", async () => {
    const total = 50 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const result = await new Promise<{ status?: number; connection?: string; sent: number }>((resolve) => {
      let sent = 0;
      let done = false;
      const req = httpRequest(`${chatUrl}/api/chat/send`, {
        method: "POST",
        headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      });
      req.on("response", (res) => {
        done = true;
        res.resume();
        resolve({ status: res.statusCode, connection: res.headers.connection, sent });
        req.destroy();
      });
      req.on("error", () => {
        if (!done) resolve({ sent });
      });
      const pump = () => {
        while (!done && sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        if (!done) req.end();
      };
      pump();
    });
    expect(result.status).toBe(413);
    expect(result.connection).toBe("close");
    expect(result.sent).toBeLessThan(total / 2);
    expect((await fetch(`${chatUrl}/healthz`)).status).toBe(200);
  });
});

describe("the route table", () => {
  /** A URL for a manifest path: each dynamic segment gets a value. */
  const samplePath = (path: string) =>
    path
      .replace(/\/\[\[\.\.\.[^\]]+\]\]/g, "")
      .replace(/\[\.\.\.[^\]]+\]/g, "a/b")
      .replace(/\[[^\]]+\]/g, randomUUID());

  it("when any route of the manifest is asked with a method it exports, then its own handler answers on its service", async () => {
    const misses: string[] = [];
    for (const route of routeManifest) {
      const services = servicesOf(route.path);
      expect(services.length, route.path).toBeGreaterThan(0);
      for (const service of services) {
        for (const method of route.methods) {
          const call: Call = method === "GET" || method === "HEAD" ? {} : { json: {} };
          const res = await overHttp[service](method, samplePath(route.path), call);
          // The mount's own answers: no route (404 "No route for …"), or not this method (405).
          const unmounted =
            (res.status === 404 && /^No route for/.test(res.body?.error?.message ?? "")) ||
            (res.status === 405 && res.body?.error?.code === "method_not_allowed");
          if (unmounted) misses.push(`${service}: ${method} ${route.path} (${route.file}) → ${res.status}`);
        }
      }
    }
    expect(misses).toEqual([]);
  });

  it("when a route has dynamic segments, then Express hands them to the handler as Next.js's params", async () => {
    const echoParams = async (_request: Request, { params }: { params: Promise<Record<string, string | string[]>> }) =>
      Response.json({ data: await params });
    const base = await listen(
      createChatApp([
        {
          path: "/api/things/[id]/members/[userId]",
          file: "stand-in",
          methods: ["DELETE", "PATCH"],
          module: { DELETE: echoParams, PATCH: echoParams },
        },
        { path: "/api/files/[...rest]", file: "stand-in", methods: ["GET"], module: { GET: echoParams } },
        // After its dynamic sibling: the mount still prefers the static path, as Next.js does.
        { path: "/api/things/[id]", file: "stand-in", methods: ["GET"], module: { GET: echoParams } },
        { path: "/api/things/new", file: "stand-in", methods: ["GET"], module: { GET: () => Response.json({ data: "new" }) } },
      ]),
    );
    const removed = await fetch(`${base}/api/things/c-1/members/u%20two`, { method: "DELETE" });
    expect([removed.status, await removed.json()]).toEqual([200, { data: { id: "c-1", userId: "u two" } }]);
    const patched = await fetch(`${base}/api/things/c-2/members/u-3`, { method: "PATCH" });
    expect(await patched.json()).toEqual({ data: { id: "c-2", userId: "u-3" } });
    const files = await fetch(`${base}/api/files/a/b%2Fc`);
    expect(await files.json()).toEqual({ data: { rest: ["a", "b/c"] } });
    expect(await (await fetch(`${base}/api/things/new`)).json()).toEqual({ data: "new" });
    expect(await (await fetch(`${base}/api/things/t-9`)).json()).toEqual({ data: { id: "t-9" } });
    const options = await fetch(`${base}/api/things/c-1/members/u-3`, { method: "OPTIONS" });
    expect([options.status, options.headers.get("allow")]).toEqual([204, "PATCH, DELETE"]);
    const post = await fetch(`${base}/api/things/c-1/members/u-3`, { method: "POST" });
    expect([post.status, post.headers.get("allow")]).toEqual([405, "PATCH, DELETE"]);
  });
});
