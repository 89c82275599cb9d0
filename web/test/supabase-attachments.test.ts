import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Attachment, UploadTarget } from "@/lib/types";
import { closeServices } from "@/server/context";
import { TEST_WEBHOOK_SECRET } from "./support/app-env";
import { openTestDatabase } from "./support/db";
import { buildPng, HTML_PAGE } from "./support/files";
import { Browser } from "./support/routes";
import { createStorageEmulator } from "./support/storage-emulator";
import { createSupabaseEmulator } from "./support/supabase-emulator";

// Attachments in Supabase mode through the route handlers: Supabase Auth, PostgREST and Storage
// emulated by msw at their documented paths, backed by a real (embedded) database, whose
// storage.objects policies decide, and real files. Any unhandled request fails the test.
const SUPABASE_URL = "https://emulated.supabase.co";
const CRON_SECRET = "cron-secret-for-the-supabase-attachments-test";
const BUCKET = "attachments";

let database: Awaited<ReturnType<typeof openTestDatabase>>;
let emulator: Awaited<ReturnType<typeof createSupabaseEmulator>>;
let storage: ReturnType<typeof createStorageEmulator>;
let storageDir: string;
const unhandled: string[] = [];
const server = setupServer();

beforeAll(async () => {
  database = await openTestDatabase();
  emulator = await createSupabaseEmulator({ url: SUPABASE_URL, db: database.db });
  storageDir = fs.mkdtempSync(path.join(os.tmpdir(), "chat-storage-emulator-"));
  storage = createStorageEmulator({
    url: SUPABASE_URL,
    db: database.db,
    dir: storageDir,
    claimsOf: emulator.bearerClaims,
    serviceRoleKey: emulator.serviceRoleKey,
  });
  server.use(...storage.handlers, ...emulator.handlers);
  server.listen({
    onUnhandledRequest(request, print) {
      // Pushes go to a local address nobody listens on; everything else must be emulated.
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
    WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    APP_URL: "http://localhost:3000",
    DATA_DIR: "/nonexistent/never-used-in-supabase-mode",
    RATE_LIMIT_LOGIN_EMAIL: "1000/60",
    RATE_LIMIT_LOGIN_IP: "1000/60",
    RATE_LIMIT_SEND: "1000/10",
  });
});
afterEach(() => {
  vi.useRealTimers();
  server.resetHandlers(...storage.handlers, ...emulator.handlers);
  expect(unhandled.splice(0)).toEqual([]);
});
afterAll(async () => {
  server.close();
  await closeServices();
  await database.close();
  fs.rmSync(storageDir, { recursive: true, force: true });
});

async function signIn(email: string) {
  const browser = new Browser();
  await browser.call("POST", "/api/auth/login", { json: { email, next: "/chat" } });
  const confirmed = await browser.call("POST", "/auth/confirm", {
    form: { token_hash: emulator.latestTokenHash(email), type: "email", next: "/chat" },
  });
  expect(confirmed.status).toBe(303);
  const me = await browser.call("GET", "/api/auth/session");
  return { browser, userId: me.body.data.user.id as string, accessToken: me.body.data.accessToken as string };
}
type User = Awaited<ReturnType<typeof signIn>>;

const error = (res: { status: number; body: { error?: { code: string } } }) => [res.status, res.body?.error?.code];
const keyOf = (target: UploadTarget) => decodeURIComponent(new URL(target.upload.url).pathname.split(`/upload/sign/${BUCKET}/`)[1]!);

async function start(who: User, bytes: Uint8Array, name: string, target: Record<string, string>) {
  const res = await who.browser.call("POST", "/api/chat/attachments", { json: { ...target, name, size: bytes.byteLength } });
  expect(res.status, res.text).toBe(201);
  return res.body.data as UploadTarget;
}
/** What the browser does with the upload target: PUT the bytes straight to Storage. */
const putBytes = (target: UploadTarget, bytes: Uint8Array) =>
  fetch(target.upload.url, { method: target.upload.method, headers: target.upload.headers, body: bytes as Uint8Array<ArrayBuffer> });
async function upload(who: User, bytes: Uint8Array, name: string, target: Record<string, string>): Promise<Attachment> {
  const created = await start(who, bytes, name, target);
  expect((await putBytes(created, bytes)).status).toBe(200);
  const done = await who.browser.call("POST", `/api/chat/attachments/${created.attachment.id}/complete`);
  expect(done.status, done.text).toBe(200);
  return done.body.data as Attachment;
}

describe("attachments in Supabase mode (Supabase Storage)", () => {
  let ann: User, bob: User, eve: User;
  beforeAll(async () => {
    [ann, bob, eve] = (await Promise.all(["ann", "bob", "eve"].map((name) => signIn(`${name}@storage.example`)))) as [User, User, User];
  });

  it("when a user uploads, then the bytes go to a signed upload URL of the private bucket; complete sniffs them and stores a preview", async () => {
    const png = await buildPng(800, 600);
    const target = await start(ann, png, "sunset.png", { with: bob.userId });
    expect(target.upload).toEqual({
      method: "PUT",
      url: expect.stringMatching(
        new RegExp(`^${SUPABASE_URL}/storage/v1/object/upload/sign/${BUCKET}/[0-9a-f-]{36}/${target.attachment.id}/original\\?token=`),
      ),
      headers: { "content-type": "application/octet-stream", "x-upsert": "false" },
    });
    expect(Date.parse(target.expiresAt)).toBeGreaterThan(Date.now() + 3600_000);
    expect((await putBytes(target, png)).status).toBe(200);
    const done = await ann.browser.call("POST", `/api/chat/attachments/${target.attachment.id}/complete`);
    expect(done.body.data).toMatchObject({ contentType: "image/png", kind: "image", width: 800, height: 600, size: png.byteLength });
    const key = keyOf(target);
    expect(storage.exists(BUCKET, key)).toBe(true);
    expect(storage.exists(BUCKET, key.replace(/original$/, "preview"))).toBe(true);
  });

  it("when the peer opens a sent file, then a 302 to a short-lived signed URL that downloads it; past its expiry the URL fails", async () => {
    const file = await upload(ann, HTML_PAGE, "page.png", { with: bob.userId });
    expect(file).toMatchObject({ contentType: "application/octet-stream", kind: "file" });
    const sent = await ann.browser.call("POST", "/api/chat/send", {
      json: { recipientId: bob.userId, clientId: randomUUID(), attachmentIds: [file.id] },
    });
    expect(sent.status, sent.text).toBe(201);

    const res = await bob.browser.call("GET", `/api/chat/attachments/${file.id}`);
    expect(res.status).toBe(302);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    const signed = res.headers.get("location")!;
    expect(signed).toMatch(new RegExp(`^${SUPABASE_URL}/storage/v1/object/sign/${BUCKET}/.+\\?token=.+&download=page.png$`));
    const fetched = await fetch(signed);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get("content-disposition")).toMatch(/^attachment/);
    expect(Buffer.from(await fetched.arrayBuffer())).toEqual(HTML_PAGE);

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 61_000);
    const expired = await fetch(signed);
    expect(expired.status).toBe(400);
    expect(await expired.json()).toMatchObject({ error: "InvalidJWT" });
  });

  it("when a stranger asks, then 404 from the route, and Storage itself refuses them (the bucket's policies)", async () => {
    const target = await start(ann, Buffer.from("private"), "private.txt", { with: bob.userId });
    // Eve cannot sign an upload to Ann's pending object with her own token.
    const forged = await fetch(`${SUPABASE_URL}/storage/v1/object/upload/sign/${BUCKET}/${keyOf(target)}`, {
      method: "POST",
      headers: { authorization: `Bearer ${eve.accessToken}`, apikey: "sb_publishable_test" },
    });
    expect(await forged.json()).toMatchObject({ statusCode: "403" });
    await putBytes(target, Buffer.from("private"));
    await ann.browser.call("POST", `/api/chat/attachments/${target.attachment.id}/complete`);
    await ann.browser.call("POST", "/api/chat/send", {
      json: { recipientId: bob.userId, clientId: randomUUID(), attachmentIds: [target.attachment.id] },
    });

    expect(error(await eve.browser.call("GET", `/api/chat/attachments/${target.attachment.id}`))).toEqual([404, "attachment_not_found"]);
    const direct = await fetch(`${SUPABASE_URL}/storage/v1/object/${BUCKET}/${keyOf(target)}`, {
      headers: { authorization: `Bearer ${eve.accessToken}`, apikey: "sb_publishable_test" },
    });
    expect(await direct.json()).toMatchObject({ statusCode: "404" });
    // Bob, a member, reads it with his own token.
    const asBob = await fetch(`${SUPABASE_URL}/storage/v1/object/${BUCKET}/${keyOf(target)}`, {
      headers: { authorization: `Bearer ${bob.accessToken}`, apikey: "sb_publishable_test" },
    });
    expect(await asBob.text()).toBe("private");
  });

  it("when more bytes reach Storage than were announced, then complete answers 413 attachment_too_large and removes them", async () => {
    const target = await start(ann, Buffer.alloc(100), "liar.bin", { with: bob.userId });
    await putBytes(target, Buffer.alloc(5000));
    const done = await ann.browser.call("POST", `/api/chat/attachments/${target.attachment.id}/complete`);
    expect(error(done)).toEqual([413, "attachment_too_large"]);
    expect(storage.exists(BUCKET, keyOf(target))).toBe(false);
  });

  it("when an upload was never sent for 24 h, then the cron sweep removes it from Storage with the service role", async () => {
    const target = await start(ann, Buffer.from("stale"), "stale.txt", { with: bob.userId });
    await putBytes(target, Buffer.from("stale"));
    await ann.browser.call("POST", `/api/chat/attachments/${target.attachment.id}/complete`);
    await database.db.query("update public.attachments set created_at = now() - interval '25 hours' where id = $1", [target.attachment.id]);
    const swept = await new Browser().call("GET", "/api/cron/attachments", { headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect(swept.body.data).toMatchObject({ swept: true });
    expect(swept.body.data.removed).toBeGreaterThanOrEqual(1);
    expect(storage.exists(BUCKET, keyOf(target))).toBe(false);
    expect(error(await ann.browser.call("GET", `/api/chat/attachments/${target.attachment.id}`))).toEqual([404, "attachment_not_found"]);
  });
});
