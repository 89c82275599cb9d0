import { randomUUID } from "node:crypto";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { closeServices } from "@/server/context";
import { asUser } from "@/server/store/sql/client";
import { TEST_WEBHOOK_SECRET } from "./support/app-env";
import { openTestDatabase } from "./support/db";
import { startPushReceiver, waitFor } from "./support/push-receiver";
import { Browser, call } from "./support/routes";
import { createSupabaseEmulator } from "./support/supabase-emulator";

// The outbox in Supabase mode, against Supabase's HTTP API emulated by msw (PostgREST RPCs run
// the schema's real functions on a real database): the request's own JWT sends that user's
// rows; the sweep uses the service role key; a sign-out is recorded and pushed.
const SUPABASE_URL = "https://emulated-outbox.supabase.co";
const CRON_SECRET = "cron-secret-for-the-outbox-test";

let database: Awaited<ReturnType<typeof openTestDatabase>>;
let emulator: Awaited<ReturnType<typeof createSupabaseEmulator>>;
let receiver: Awaited<ReturnType<typeof startPushReceiver>>;
let receiverDown = false;
const unhandled: string[] = [];
const server = setupServer();

beforeAll(async () => {
  database = await openTestDatabase();
  emulator = await createSupabaseEmulator({ url: SUPABASE_URL, db: database.db });
  receiver = await startPushReceiver(TEST_WEBHOOK_SECRET, () => (receiverDown ? 503 : 202));
  server.use(...emulator.handlers);
  server.listen({
    onUnhandledRequest(request, print) {
      if (new URL(request.url).hostname === "127.0.0.1") return;
      unhandled.push(`${request.method} ${request.url}`);
      print.error();
    },
  });
  Object.assign(process.env, {
    NEXT_PUBLIC_SUPABASE_URL: SUPABASE_URL,
    NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: "sb_publishable_test",
    SUPABASE_SERVICE_ROLE_KEY: emulator.serviceRoleKey,
    CRON_SECRET,
    APP_URL: "http://localhost:3000",
    SOCKET_SERVER_URL: receiver.url,
    WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    DATA_DIR: "/nonexistent/never-used-in-supabase-mode",
    RATE_LIMIT_LOGIN_EMAIL: "1000/60",
  });
});
afterEach(() => {
  receiverDown = false;
  expect(unhandled.splice(0)).toEqual([]);
});
afterAll(async () => {
  server.close();
  await closeServices();
  await receiver.close();
  await database.close();
});

async function signIn(email: string) {
  const browser = new Browser();
  const sent = await browser.call("POST", "/api/auth/login", {
    json: { email, next: "/chat" },
    headers: { "x-forwarded-for": "203.0.113.9" },
  });
  expect(sent.body).toEqual({ data: { sent: true } });
  const confirmed = await browser.call("POST", "/auth/confirm", {
    form: { token_hash: emulator.latestTokenHash(email), type: "email", next: "/chat" },
  });
  expect(confirmed.status).toBe(303);
  const me = await browser.call("GET", "/api/auth/session");
  return { browser, userId: me.body.data.user.id as string, accessToken: me.body.data.accessToken as string };
}

const sendAs = async (from: Awaited<ReturnType<typeof signIn>>, to: string, content: string) => {
  const sent = await from.browser.call("POST", "/api/chat/send", { json: { recipientId: to, content, clientId: randomUUID() } });
  expect(sent.status).toBe(201);
  return sent.body.data as { id: string };
};
const pendingIds = async () =>
  (await database.db.query<{ push_id: string }>("select push_id from public.push_outbox order by id")).map((r) => r.push_id);

describe("push outbox in Supabase mode", () => {
  it("when a user sends, then the request's own JWT claims the row and the push arrives", async () => {
    const ann = await signIn("ob-ann@example.com");
    const bob = await signIn("ob-bob@example.com");
    const message = await sendAs(ann, bob.userId, "through the outbox");
    await waitFor(() => receiver.received.some((r) => r.id === `msg_${message.id}`));
    await waitFor(async () => !(await pendingIds()).includes(`msg_${message.id}`) || undefined);
  });

  it("when the socket server is down, then the rows wait with a backoff, and the cron sweep (service role) sends them", async () => {
    const cy = await signIn("ob-cy@example.com");
    const dee = await signIn("ob-dee@example.com");
    receiverDown = true;
    const message = await sendAs(cy, dee.userId, "sent while the socket server is down");
    await waitFor(async () => {
      const [row] = await database.db.query<{ attempts: number; due: boolean }>(
        "select attempts, next_attempt_at > now() as due from public.push_outbox where push_id = $1",
        [`msg_${message.id}`],
      );
      return (row && row.attempts >= 1 && row.due) || undefined;
    });
    expect(receiver.received.some((r) => r.id === `msg_${message.id}`)).toBe(false);

    expect((await call("GET", "/api/cron/push-outbox")).status).toBe(401);
    expect((await call("GET", "/api/cron/push-outbox", { headers: { authorization: "Bearer wrong-secret-of-same-size!!!" } })).status).toBe(
      401,
    );
    receiverDown = false;
    await database.db.query("update public.push_outbox set next_attempt_at = now()");
    const swept = await call("GET", "/api/cron/push-outbox", { headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect(swept.status).toBe(200);
    expect(swept.body.data).toMatchObject({ swept: true });
    await waitFor(() => receiver.received.some((r) => r.id === `msg_${message.id}`));
    expect(await pendingIds()).not.toContain(`msg_${message.id}`);
  });

  it("when a user signs out, then a session.revoked push for that session is recorded and sent", async () => {
    const eve = await signIn("ob-eve@example.com");
    const sessionId = JSON.parse(Buffer.from(eve.accessToken.split(".")[1]!, "base64url").toString()).session_id as string;
    const out = await eve.browser.call("POST", "/api/auth/logout");
    expect(out.status).toBe(200);
    const revoked = await waitFor(() =>
      receiver.received.find((r) => r.push.type === "session.revoked" && r.push.data.userId === eve.userId),
    );
    expect(revoked.push.data).toEqual({ userId: eve.userId, sessionId });
  });

  it("when a user calls the outbox functions through PostgREST, then they reach only their own rows", async () => {
    const fay = await signIn("ob-fay@example.com");
    const gus = await signIn("ob-gus@example.com");
    receiverDown = true;
    await sendAs(gus, fay.userId, "gus's row");
    await waitFor(async () => (await pendingIds()).length > 0 || undefined);
    const rpc = (fn: string, token: string, body: unknown) =>
      fetch(`${SUPABASE_URL}/rest/v1/rpc/${fn}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, apikey: "sb_publishable_test", "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    await database.db.query("update public.push_outbox set next_attempt_at = now()");
    const mine = await rpc("claim_my_pushes", fay.accessToken, { p_limit: 100, p_lease_seconds: 1, p_max_age_seconds: 1 });
    expect(await mine.json()).toEqual([]);
    const all = await rpc("claim_pushes", fay.accessToken, { p_limit: 100, p_lease_seconds: 1, p_max_age_seconds: 86_400 });
    expect(all.status).toBe(403);
    // Direct reads as the user: nothing, whatever the table holds.
    await expect(asUser(database.db, fay.userId, (tx) => tx.query("select * from public.push_outbox"))).rejects.toMatchObject({
      code: "42501",
    });
  });
});
