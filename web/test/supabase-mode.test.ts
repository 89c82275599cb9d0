import { randomUUID } from "node:crypto";
import { createClient } from "@supabase/supabase-js";
import { http, HttpResponse } from "msw";
import ws from "ws";
import { createSupabaseChatStore } from "@/server/supabase/supabase-chat-store";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { closeServices } from "@/server/context";
import * as readyz from "@/app/readyz/route";
import { proxy } from "@/proxy";
import { NextRequest } from "next/server";
import { TEST_WEBHOOK_SECRET } from "./support/app-env";
import { openTestDatabase } from "./support/db";
import { Browser } from "./support/routes";
import { createSupabaseEmulator } from "./support/supabase-emulator";
import type { AddressInfo } from "node:net";
import { io as connectSocket } from "socket.io-client";
import type { Change, ChatMessage } from "socket-server/contract";
import { createApp } from "../../socket-server/src/app";
import { createSupabaseVerifier } from "../../socket-server/src/auth";
import { silentLogger } from "../../socket-server/src/logger";
import { createMemorySeenIdStore } from "../../socket-server/src/webhook";

// Supabase mode end to end through the route handlers, against Supabase's HTTP API emulated
// by msw (it cannot run here). Any request to an unhandled external address fails the test.
const SUPABASE_URL = "https://emulated.supabase.co";

let database: Awaited<ReturnType<typeof openTestDatabase>>;
let emulator: Awaited<ReturnType<typeof createSupabaseEmulator>>;
// The real socket server app, verifying Supabase tokens by the (emulated) project JWKS.
let socketServer: ReturnType<typeof createApp>;
let socketUrl: string;
const unhandled: string[] = [];
const server = setupServer();

beforeAll(async () => {
  database = await openTestDatabase();
  emulator = await createSupabaseEmulator({ url: SUPABASE_URL, db: database.db });
  socketServer = createApp({
    config: { webhookSecrets: [TEST_WEBHOOK_SECRET], webOrigins: ["http://localhost:3000"] },
    verifier: createSupabaseVerifier(SUPABASE_URL),
    seenIds: createMemorySeenIdStore(),
    logger: silentLogger,
  });
  await new Promise<void>((resolve) => socketServer.httpServer.listen(0, "127.0.0.1", resolve));
  socketUrl = `http://127.0.0.1:${(socketServer.httpServer.address() as AddressInfo).port}`;
  server.use(...emulator.handlers);
  server.listen({
    onUnhandledRequest(request, print) {
      // The socket server is a real local server; everything else must be emulated.
      if (new URL(request.url).hostname === "127.0.0.1") return;
      unhandled.push(`${request.method} ${request.url}`);
      print.error();
    },
  });
  Object.assign(process.env, {
    NEXT_PUBLIC_SUPABASE_URL: SUPABASE_URL,
    NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: "sb_publishable_test",
    APP_URL: "http://localhost:3000",
    SOCKET_SERVER_URL: socketUrl,
    WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    DATA_DIR: "/nonexistent/never-used-in-supabase-mode",
    RATE_LIMIT_LOGIN_EMAIL: "1000/60",
    // Far above the SQL's own send limit (60 per 10 s), so the SQL is the one that answers.
    RATE_LIMIT_SEND: "1000/10",
    RATE_LIMIT_USERS: "1000/60",
    // Every test request comes from 127.0.0.1: one IP bucket for the whole file.
    RATE_LIMIT_LOGIN_IP: "1000/60",
  });
});
afterEach(() => {
  server.resetHandlers(...emulator.handlers);
  emulator.state.accessTokenTtlSeconds = 3600;
  expect(unhandled.splice(0)).toEqual([]);
});
afterAll(async () => {
  server.close();
  await closeServices();
  await socketServer.close();
  await database.close();
});

async function signIn(email: string) {
  const browser = new Browser();
  const sent = await browser.call("POST", "/api/auth/login", {
    json: { email, next: "/chat" },
    headers: { "x-forwarded-for": "203.0.113.7" },
  });
  expect(sent.body).toEqual({ data: { sent: true } });
  const confirmed = await browser.call("POST", "/auth/confirm", {
    form: { token_hash: emulator.latestTokenHash(email), type: "email", next: "/chat" },
  });
  expect(confirmed.status).toBe(303);
  const me = await browser.call("GET", "/api/auth/session");
  expect(me.status).toBe(200);
  return { browser, userId: me.body.data.user.id as string, session: me.body.data };
}

describe("Supabase mode", () => {
  it("when a user asks for a link, then Supabase gets the user's IP (not a forged X-Forwarded-For) and a redirect back to this site", async () => {
    await new Browser().call("POST", "/api/auth/login", {
      json: { email: "ip@example.com", next: "/chat" },
      headers: { "x-forwarded-for": "203.0.113.66" },
      peer: "198.51.100.4",
    });
    expect(emulator.state.otpRequests.at(-1)).toEqual({ email: "ip@example.com", forwardedFor: "198.51.100.4" });
    expect(emulator.state.outbox.at(-1)!.redirectTo).toBe("http://localhost:3000/auth/callback?next=%2Fchat");
  });

  it("when the token_hash link is confirmed, then the session holds Supabase's access token", async () => {
    const { session, userId, browser } = await signIn("ann@example.com");
    expect(session.user).toEqual({ id: userId, email: "ann@example.com" });
    expect(session.accessToken.split(".")).toHaveLength(3);
    expect([...browser.cookies.keys()].some((name) => name.startsWith("sb-emulated-auth-token"))).toBe(true);
  });

  it("when the PKCE link comes back with a code in the same browser, then the code gives a session", async () => {
    const browser = new Browser();
    await browser.call("POST", "/api/auth/login", { json: { email: "pkce@example.com" } });
    const code = await emulator.issueAuthCode("pkce@example.com");
    const landed = await browser.call("GET", `/auth/callback?code=${code}&next=/chat`);
    expect(landed.status).toBe(303);
    expect(landed.headers.get("location")).toBe("/chat");
    expect((await browser.call("GET", "/api/auth/session")).body.data.user.email).toBe("pkce@example.com");
  });

  it("when the PKCE link is opened in another browser, then a page explains it and offers a new link", async () => {
    await new Browser().call("POST", "/api/auth/login", { json: { email: "other-browser@example.com" } });
    const code = await emulator.issueAuthCode("other-browser@example.com");
    const landed = await new Browser().call("GET", `/auth/callback?code=${code}`);
    expect(landed.status).toBe(400);
    expect(landed.text).toContain("same browser");
    expect(landed.text).toContain('href="/login"');
  });

  it("when users send and read, then messages go through PostgREST as the user", async () => {
    const ann = await signIn("ann2@example.com");
    const bob = await signIn("bob2@example.com");
    const clientId = randomUUID();
    const sent = await ann.browser.call("POST", "/api/chat/send", { json: { recipientId: bob.userId, content: " hi bob ", clientId } });
    expect(sent.status).toBe(201);
    expect(sent.body.data).toMatchObject({ senderId: ann.userId, recipientId: bob.userId, content: "hi bob", clientId, seq: 1 });
    const again = await ann.browser.call("POST", "/api/chat/send", { json: { recipientId: bob.userId, content: "hi bob", clientId } });
    expect([again.status, again.body.data.id]).toEqual([200, sent.body.data.id]);

    const history = await bob.browser.call("GET", `/api/chat/history?with=${ann.userId}`);
    expect(history.body.data.messages.map((m: { content: string }) => m.content)).toEqual(["hi bob"]);
    const list = await bob.browser.call("GET", "/api/chat/conversations");
    expect(list.body.data[0]).toMatchObject({ peer: { email: "ann2@example.com" }, lastMessage: { content: "hi bob" } });
    const found = await bob.browser.call("GET", "/api/users?q=ann2");
    expect(found.body.data).toEqual([{ id: ann.userId, email: "ann2@example.com", displayName: null }]);

    const carol = await signIn("carol2@example.com");
    const peek = await carol.browser.call("GET", `/api/chat/history?with=${ann.userId}&before=${sent.body.data.id}`);
    expect([peek.status, peek.body.error.code]).toEqual([400, "invalid_cursor"]);
    const unknown = await carol.browser.call("POST", "/api/chat/send", {
      json: { recipientId: randomUUID(), content: "anyone?", clientId: randomUUID() },
    });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, "user_not_found"]);
  });

  it("when users make a group, then create, send, history, read, rename, members and leave go through PostgREST as the user", async () => {
    const [olga, max, nina, sam] = (await Promise.all(
      ["olga", "max", "nina", "sam"].map((name) => signIn(`${name}-group@example.com`)),
    )) as [
      Awaited<ReturnType<typeof signIn>>,
      Awaited<ReturnType<typeof signIn>>,
      Awaited<ReturnType<typeof signIn>>,
      Awaited<ReturnType<typeof signIn>>,
    ];
    const created = await olga.browser.call("POST", "/api/chat/conversations", {
      json: { kind: "group", name: " Crew ", memberIds: [max.userId, nina.userId] },
    });
    expect(created.status).toBe(201);
    const id = created.body.data.id as string;
    expect(created.body.data).toMatchObject({ kind: "group", name: "Crew", role: "owner", members: { count: 3 } });
    expect(created.body.data.memberList.map((m: { role: string }) => m.role)).toEqual(["owner", "member", "member"]);

    const sent = await max.browser.call("POST", "/api/chat/send", {
      json: { conversationId: id, content: "hi crew", clientId: randomUUID() },
    });
    expect([sent.status, sent.body.data.seq, sent.body.data.recipientId]).toEqual([201, 2, null]);
    const history = await nina.browser.call("GET", `/api/chat/history?conversation=${id}`);
    expect(history.body.data.messages.map((m: { kind: string; content: string }) => [m.kind, m.content])).toEqual([
      ["system", ""],
      ["text", "hi crew"],
    ]);
    const read = await nina.browser.call("POST", "/api/chat/read", { json: { conversationId: id, seq: 2 } });
    expect(read.body.data).toEqual({ conversationId: id, userId: nina.userId, peerId: null, lastReadSeq: 2 });
    const [listed] = (await olga.browser.call("GET", "/api/chat/conversations")).body.data;
    expect(listed).toMatchObject({
      id,
      kind: "group",
      unreadCount: 1,
      readStates: expect.arrayContaining([{ userId: nina.userId, lastReadSeq: 2 }]),
    });

    const code = (res: { status: number; body: { error?: { code: string } } }) => [res.status, res.body.error?.code];
    expect(code(await max.browser.call("PATCH", `/api/chat/conversations/${id}`, { json: { name: "Mine" } }))).toEqual([403, "not_owner"]);
    expect(code(await sam.browser.call("GET", `/api/chat/conversations/${id}`))).toEqual([404, "conversation_not_found"]);
    expect(code(await sam.browser.call("GET", `/api/chat/history?conversation=${id}`))).toEqual([404, "conversation_not_found"]);
    const tooSmall = await olga.browser.call("POST", "/api/chat/conversations", {
      json: { kind: "group", name: "x", memberIds: [max.userId] },
    });
    expect(code(tooSmall)).toEqual([422, "group_too_small"]);

    const renamed = await olga.browser.call("PATCH", `/api/chat/conversations/${id}`, { json: { name: "Crew 2" } });
    expect(renamed.body.data.name).toBe("Crew 2");
    const added = await olga.browser.call("POST", `/api/chat/conversations/${id}/members`, { json: { userIds: [sam.userId] } });
    expect(added.body.data.members.count).toBe(4);
    const removed = await olga.browser.call("DELETE", `/api/chat/conversations/${id}/members/${sam.userId}`);
    expect([removed.status, removed.body.data.members.count]).toEqual([200, 3]);
    expect(
      code(await sam.browser.call("POST", "/api/chat/send", { json: { conversationId: id, content: "back?", clientId: randomUUID() } })),
    ).toEqual([404, "conversation_not_found"]);
    const left = await olga.browser.call("DELETE", `/api/chat/conversations/${id}/members/${olga.userId}`);
    expect(left.body).toEqual({ data: { left: true } });
    const heir = await max.browser.call("GET", `/api/chat/conversations/${id}`);
    expect(heir.body.data.memberList.find((m: { role: string }) => m.role === "owner").user.id).toBe([max.userId, nina.userId].sort()[0]);
  });

  it("when the same clientId comes with other content, then 409 client_id_conflict from the SQL, nothing stored", async () => {
    const ann = await signIn("conflict-ann@example.com");
    const bob = await signIn("conflict-bob@example.com");
    const clientId = randomUUID();
    const send = (json: object) => ann.browser.call("POST", "/api/chat/send", { json: { recipientId: bob.userId, clientId, ...json } });
    expect((await send({ content: "first words" })).status).toBe(201);
    const conflict = await send({ content: "other words" });
    expect([conflict.status, conflict.body.error.code]).toEqual([409, "client_id_conflict"]);
    const history = await bob.browser.call("GET", `/api/chat/history?with=${ann.userId}`);
    expect(history.body.data.messages.map((m: { content: string }) => m.content)).toEqual(["first words"]);
  });

  it("when a user sends past the SQL's send limit, then 429 rate_limited with Retry-After, nothing stored", async () => {
    const ann = await signIn("fast-ann@example.com");
    const bob = await signIn("fast-bob@example.com");
    // A small budget over a long window, so a slow machine cannot spread the sends past it.
    await database.db.query("update public.app_settings set value = '5/600' where name = 'send_limit'");
    onTestFinished(async () => {
      await database.db.query("update public.app_settings set value = '60/10' where name = 'send_limit'");
    });
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<Browser["call"]>> | undefined;
    for (let i = 0; i < 6; i++) {
      const res = await ann.browser.call("POST", "/api/chat/send", {
        json: { recipientId: bob.userId, content: `m${i}`, clientId: randomUUID() },
      });
      statuses.push(res.status);
      if (res.status !== 201) limited = res;
    }
    expect(statuses.filter((status) => status === 201)).toHaveLength(5);
    expect([limited?.status, limited?.body.error.code]).toEqual([429, "rate_limited"]);
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(limited!.headers.get("retry-after"))).toBeLessThanOrEqual(600);
    const [row] = await database.db.query<{ n: number }>("select count(*)::int as n from public.messages where sender_id = $1", [
      ann.userId,
    ]);
    expect(row!.n).toBe(5);
  });

  it("when a stranger searches, then only the exact email finds someone; the peer's prefix works once they talk", async () => {
    const ann = await signIn("dir-ann@example.com");
    const bob = await signIn("dir-bob@example.com");
    const search = async (who: typeof ann, q: string) =>
      ((await who.browser.call("GET", `/api/users?q=${encodeURIComponent(q)}`)).body.data as { email: string }[]).map((u) => u.email);
    expect(await search(bob, "dir-ann")).toEqual([]);
    expect(await search(bob, "DIR-ANN@example.com")).toEqual(["dir-ann@example.com"]);
    await bob.browser.call("POST", "/api/chat/send", { json: { recipientId: ann.userId, content: "hello", clientId: randomUUID() } });
    expect(await search(bob, "dir-ann")).toEqual(["dir-ann@example.com"]);
    expect(await search(ann, "dir-")).toEqual(["dir-bob@example.com"]);
  });

  it("when rules are broken past the schema, then the Supabase store maps the SQL's errors to the documented codes", async () => {
    const ann = await signIn("store-ann@example.com");
    const bob = await signIn("store-bob@example.com");
    const supabase = createClient(SUPABASE_URL, "sb_publishable_test", {
      global: { headers: { Authorization: `Bearer ${ann.session.accessToken}` } },
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: ws as never },
    });
    const store = createSupabaseChatStore(supabase);
    const message = (content: string, recipientId = bob.userId) => ({ recipientId, content, clientId: randomUUID() });
    await expect(store.insertMessage(ann.userId, message("\u200b\u200c"))).rejects.toMatchObject({
      status: 422,
      code: "validation_failed",
      details: [{ path: "content", message: "content must not be only invisible characters" }],
    });
    await expect(store.updateProfile(ann.userId, "x".repeat(81))).rejects.toMatchObject({
      status: 422,
      details: [{ path: "displayName" }],
    });
    await expect(store.insertMessage(ann.userId, message("me", ann.userId))).rejects.toMatchObject({
      status: 400,
      code: "cannot_message_self",
    });
    expect((await store.updateProfile(ann.userId, "  Ann  ")).displayName).toBe("Ann");
  });

  it("when a user calls PostgREST directly with their JWT, then the SQL still enforces the app's rules", async () => {
    const ann = await signIn("direct-ann@example.com");
    const bob = await signIn("direct-bob@example.com");
    const rpc = async (fn: string, args: object) => {
      const response = await fetch(`${SUPABASE_URL}/rest/v1/rpc/${fn}`, {
        method: "POST",
        headers: { authorization: `Bearer ${ann.session.accessToken}`, "content-type": "application/json", apikey: "sb_publishable_test" },
        body: JSON.stringify(args),
      });
      return { status: response.status, body: await response.json() };
    };
    const send = (content: string, clientId = randomUUID()) =>
      rpc("send_message", { p_recipient_id: bob.userId, p_content: content, p_client_id: clientId });
    expect(await send("\u200b\u2060\ufeff")).toMatchObject({
      status: 422,
      body: { code: "PT422", details: "content", hint: "validation_failed" },
    });
    expect(await send("x".repeat(4001))).toMatchObject({ status: 422, body: { details: "content" } });
    expect(await send("evil\u202etxt")).toMatchObject({ status: 422, body: { details: "content" } });
    expect(await rpc("update_profile", { p_display_name: "a\u0007b" })).toMatchObject({ status: 422, body: { details: "displayName" } });
    const clientId = randomUUID();
    expect((await send("  padded  ", clientId)).body[0]).toMatchObject({ content: "padded", created: true });
    expect(await send("rewritten", clientId)).toMatchObject({ status: 409, body: { hint: "client_id_conflict" } });
    expect((await rpc("get_messages", { p_peer_id: bob.userId, p_limit: 100000 })).body).toHaveLength(1);
    expect((await rpc("search_profiles", { p_query: "direct-", p_limit: 1000 })).body).toEqual([
      expect.objectContaining({ email: "direct-bob@example.com" }),
    ]);
    expect((await rpc("search_profiles", { p_query: "dir-", p_limit: 1000 })).body).toEqual([]);
  });

  it("when a user is connected with Supabase's access token, then messages arrive live through the socket server", async () => {
    const ann = await signIn("live-ann@example.com");
    const bob = await signIn("live-bob@example.com");
    const socket = connectSocket(socketUrl, { auth: { token: bob.session.accessToken }, transports: ["websocket"], reconnection: false });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("connect_error", reject);
      });
      const received = new Promise<ChatMessage>((resolve) => socket.once("message:new", resolve));
      const sent = await ann.browser.call("POST", "/api/chat/send", {
        json: { recipientId: bob.userId, content: "live over Supabase", clientId: randomUUID() },
      });
      expect(await received).toEqual(sent.body.data);
    } finally {
      socket.close();
    }
    const anon = connectSocket(socketUrl, { auth: { token: "sb_publishable_test" }, transports: ["websocket"], reconnection: false });
    await expect(new Promise((_, reject) => anon.once("connect_error", reject))).rejects.toThrow("unauthorized");
    anon.close();
  });

  it("when users reply, edit, react and delete, then it all goes through PostgREST as the user, changes arrive live and the change stream replays them", async () => {
    const ann = await signIn("life-ann@example.com");
    const bob = await signIn("life-bob@example.com");
    const cat = await signIn("life-cat@example.com");
    const code = (res: { status: number; body: { error?: { code: string } } }) => [res.status, res.body.error?.code];
    const sent = await ann.browser.call("POST", "/api/chat/send", {
      json: { recipientId: bob.userId, content: "lunch?", clientId: randomUUID() },
    });
    const id = sent.body.data.id as string;
    const reply = await bob.browser.call("POST", "/api/chat/send", {
      json: { recipientId: ann.userId, content: "yes", clientId: randomUUID(), replyToId: id },
    });
    expect(reply.body.data.replyTo).toMatchObject({ id, excerpt: "lunch?", deleted: false });

    const socket = connectSocket(socketUrl, { auth: { token: bob.session.accessToken }, transports: ["websocket"], reconnection: false });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("connect_error", reject);
      });
      const received = new Promise<Change>((resolve) => socket.once("message:changed", resolve));
      const edited = await ann.browser.call("PATCH", `/api/chat/messages/${id}`, { json: { content: "lunch at 1?" } });
      expect(edited.body.data).toMatchObject({ content: "lunch at 1?", editedAt: expect.any(String) });
      expect(await received).toMatchObject({ pos: 3, type: "message.edited", actorId: ann.userId, message: edited.body.data });
    } finally {
      socket.close();
    }
    expect(code(await bob.browser.call("PATCH", `/api/chat/messages/${id}`, { json: { content: "mine" } }))).toEqual([
      403,
      "not_your_message",
    ]);
    expect(code(await cat.browser.call("PATCH", `/api/chat/messages/${id}`, { json: { content: "mine" } }))).toEqual([
      404,
      "message_not_found",
    ]);
    const thumbs = `/api/chat/messages/${id}/reactions/${encodeURIComponent("👍")}`;
    expect((await bob.browser.call("PUT", thumbs)).body.data.reactions).toEqual([{ emoji: "👍", count: 1, userIds: [bob.userId] }]);
    expect(code(await cat.browser.call("PUT", thumbs))).toEqual([404, "message_not_found"]);
    const deleted = await ann.browser.call("DELETE", `/api/chat/messages/${id}`);
    expect(deleted.body.data).toMatchObject({ content: "", reactions: [], deletedAt: expect.any(String) });
    expect(code(await bob.browser.call("PUT", thumbs))).toEqual([409, "message_deleted"]);

    const stream = await bob.browser.call("GET", `/api/chat/changes?with=${ann.userId}`);
    expect(stream.body.data.changes.map((change: Change) => [change.pos, change.type])).toEqual([
      [1, "message.created"],
      [2, "message.created"],
      [3, "message.edited"],
      [4, "reaction.added"],
      [5, "message.deleted"],
    ]);
    expect(stream.body.data).toMatchObject({ nextAfter: null, lastPos: 5 });
    const conversationId = sent.body.data.conversationId as string;
    expect(code(await cat.browser.call("GET", `/api/chat/changes?conversationId=${conversationId}`))).toEqual([
      404,
      "conversation_not_found",
    ]);
  });

  it("when the access token is near expiry, then the session is refreshed transparently", async () => {
    emulator.state.accessTokenTtlSeconds = 20; // inside supabase-js' refresh margin
    const { browser } = await signIn("refresh@example.com");
    const before = emulator.state.refreshes;
    const session = await browser.call("GET", "/api/auth/session");
    expect(session.status).toBe(200);
    expect(emulator.state.refreshes).toBeGreaterThan(before);
    expect(session.headers.getSetCookie().some((c) => c.startsWith("sb-emulated-auth-token"))).toBe(true);
  });

  it("when a page is asked for with a session near expiry, then the proxy refreshes it and the page's response carries the new cookies", async () => {
    emulator.state.accessTokenTtlSeconds = 20;
    const { browser } = await signIn("proxy-refresh@example.com");
    const before = emulator.state.refreshes;
    const response = await proxy(new NextRequest("http://localhost:3000/chat", { headers: { cookie: browser.cookieHeader() } }));
    expect(emulator.state.refreshes).toBeGreaterThan(before);
    expect(response.headers.getSetCookie().some((c) => c.startsWith("sb-emulated-auth-token"))).toBe(true);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self' 'nonce-");
  });

  it("when Supabase rate-limits sign-in, then 429 with Retry-After", async () => {
    server.use(
      http.post(`${SUPABASE_URL}/auth/v1/otp`, () =>
        HttpResponse.json({ code: 429, error_code: "over_email_send_rate_limit", msg: "email rate limit exceeded" }, { status: 429 }),
      ),
    );
    const res = await new Browser().call("POST", "/api/auth/login", { json: { email: "limited@example.com" } });
    expect([res.status, res.body.error.code]).toEqual([429, "rate_limited"]);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("when Supabase is unreachable, then 503 for sign-in and for chat", async () => {
    const { browser, userId } = await signIn("outage@example.com");
    server.use(
      http.post(`${SUPABASE_URL}/auth/v1/otp`, () => HttpResponse.error()),
      http.post(`${SUPABASE_URL}/rest/v1/rpc/:fn`, () => HttpResponse.error()),
    );
    const login = await new Browser().call("POST", "/api/auth/login", { json: { email: "outage@example.com" } });
    expect([login.status, login.body.error.code]).toEqual([503, "auth_unavailable"]);
    const history = await browser.call("GET", `/api/chat/history?with=${userId}`);
    expect(history.status).toBe(200); // own id: nothing to read, no database call
    const list = await browser.call("GET", "/api/chat/conversations");
    expect([list.status, list.body.error.code]).toEqual([503, "database_unavailable"]);
  });

  it("when Supabase is unreachable, then /readyz is 503 not_ready with Retry-After", async () => {
    server.use(http.get(`${SUPABASE_URL}/auth/v1/health`, () => HttpResponse.error()));
    const res = await readyz.GET();
    expect(res.status).toBe(503);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = await res.json();
    expect(body.error.code).toBe("not_ready");
    expect(body.error.details.supabase).not.toBe("ok");
  });

  it("when PostgREST refuses the access token as expired, then 401, not a server error", async () => {
    const { browser } = await signIn("expired-jwt@example.com");
    server.use(
      http.post(`${SUPABASE_URL}/rest/v1/rpc/:fn`, () =>
        HttpResponse.json({ code: "PGRST303", message: "JWT expired", details: null, hint: null }, { status: 401 }),
      ),
    );
    const list = await browser.call("GET", "/api/chat/conversations");
    expect([list.status, list.body.error.code]).toEqual([401, "unauthorized"]);
  });

  it("when a link is used twice or has expired, then the confirm page says so", async () => {
    const browser = new Browser();
    await browser.call("POST", "/api/auth/login", { json: { email: "expired@example.com" } });
    const form = { token_hash: emulator.latestTokenHash("expired@example.com"), type: "email", next: "/chat" };
    expect((await browser.call("POST", "/auth/confirm", { form })).status).toBe(303);
    const second = await new Browser().call("POST", "/auth/confirm", { form });
    expect(second.status).toBe(403);
    expect(second.text).toContain('href="/login"');
  });

  it("when there is no session or it is signed out, then chat answers 401", async () => {
    expect((await new Browser().call("GET", "/api/chat/conversations")).status).toBe(401);
    const { browser } = await signIn("leaving@example.com");
    expect((await browser.call("POST", "/api/auth/logout")).status).toBe(200);
    expect((await browser.call("GET", "/api/auth/session")).status).toBe(401);
  });

  it("when Supabase mode is on, then the dev mailbox does not exist", async () => {
    expect((await new Browser().call("GET", "/api/dev/mailbox")).status).toBe(404);
  });
});
