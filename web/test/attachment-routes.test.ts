import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Attachment, UploadTarget } from "@/lib/types";
import { getServices } from "@/server/context";
import { startTestApp } from "./support/app-env";
import { waitFor } from "./support/push-receiver";
import { buildElf, buildPng, buildPngBomb, HTML_PAGE } from "./support/files";
import { call, signIn } from "./support/routes";

// The attachment endpoints through the route handlers, on the embedded database with files on
// local disk under DATA_DIR (the embedded and DATABASE_URL modes' adapter).

type User = { cookie: string; userId: string };
const MAX_BYTES = 200_000;
const QUOTA_BYTES = 1_000_000;
const UPLOADS_PER_MINUTE = 40;
const CRON_SECRET = "cron-secret-for-the-attachments-test";
let app: Awaited<ReturnType<typeof startTestApp>>;
let ann: User, bob: User, eve: User, rita: User, quinn: User;

beforeAll(async () => {
  Object.assign(process.env, {
    ATTACHMENT_MAX_BYTES: String(MAX_BYTES),
    ATTACHMENT_QUOTA_BYTES: String(QUOTA_BYTES),
    RATE_LIMIT_ATTACHMENTS: `${UPLOADS_PER_MINUTE}/60`,
    CRON_SECRET,
  });
  app = await startTestApp();
  [ann, bob, eve, rita, quinn] = (await Promise.all(
    ["ann", "bob", "eve", "rita", "quinn"].map((name) => signIn(`${name}@attach.example`)),
  )) as [User, User, User, User, User];
});
afterAll(async () => {
  await app.stop();
  for (const name of ["ATTACHMENT_MAX_BYTES", "ATTACHMENT_QUOTA_BYTES", "RATE_LIMIT_ATTACHMENTS", "CRON_SECRET"]) delete process.env[name];
});

const error = (res: { status: number; body: { error?: { code: string } } }) => [res.status, res.body?.error?.code];
const octets = { "content-type": "application/octet-stream" };

async function start(who: User, bytes: Uint8Array, name: string, target: Record<string, string> = { with: bob.userId }) {
  const res = await call("POST", "/api/chat/attachments", {
    cookie: who.cookie,
    json: { ...target, name, contentType: "image/png", size: bytes.byteLength },
  });
  expect(res.status, res.text).toBe(201);
  return res.body.data as UploadTarget;
}
async function upload(who: User, bytes: Uint8Array, name: string, target?: Record<string, string>): Promise<Attachment> {
  const created = await start(who, bytes, name, target);
  const put = await call("PUT", created.upload.url, { cookie: who.cookie, body: bytes, headers: created.upload.headers });
  expect(put.status, put.text).toBe(200);
  const done = await call("POST", `/api/chat/attachments/${created.attachment.id}/complete`, { cookie: who.cookie });
  expect(done.status, done.text).toBe(200);
  return done.body.data as Attachment;
}
const fetchFile = (who: User, id: string, query = "") => call("GET", `/api/chat/attachments/${id}${query}`, { cookie: who.cookie });
const fileOnDisk = (attachmentId: string) =>
  fs.readdirSync(path.join(process.env.DATA_DIR!, "attachments"), { recursive: true }).some((name) => String(name).includes(attachmentId));

describe("POST /api/chat/attachments → PUT content → POST complete", () => {
  it("when a user uploads a PNG, then a pending target on the authorised route, then a ready image with its size", async () => {
    const png = await buildPng(640, 480);
    const target = await start(ann, png, "holiday.png");
    expect(target).toEqual({
      attachment: {
        id: expect.any(String),
        name: "holiday.png",
        contentType: "application/octet-stream",
        size: png.byteLength,
        kind: "file",
        width: null,
        height: null,
        status: "pending",
      },
      upload: { method: "PUT", url: `/api/chat/attachments/${target.attachment.id}/content`, headers: octets },
      expiresAt: expect.any(String),
    });
    expect(Date.parse(target.expiresAt)).toBeGreaterThan(Date.now() + 23 * 3600_000);
    const put = await call("PUT", target.upload.url, { cookie: ann.cookie, body: png, headers: octets });
    expect(put.body).toEqual({ data: { size: png.byteLength } });
    const done = await call("POST", `/api/chat/attachments/${target.attachment.id}/complete`, { cookie: ann.cookie });
    expect(done.body.data).toEqual({
      id: target.attachment.id,
      name: "holiday.png",
      contentType: "image/png",
      size: png.byteLength,
      kind: "image",
      width: 640,
      height: 480,
    });
    // Completing again answers the same attachment.
    const again = await call("POST", `/api/chat/attachments/${target.attachment.id}/complete`, { cookie: ann.cookie });
    expect(again.body.data).toEqual(done.body.data);
  });

  it("when the uploader fetches the image, then its bytes inline with nosniff, private caching and the name; the preview is WebP", async () => {
    const png = await buildPng(2000, 1000);
    const image = await upload(ann, png, "wide.png");
    const res = await fetchFile(ann, image.id);
    expect(res.status).toBe(200);
    expect(Buffer.from(res.text, "latin1").byteLength).toBeGreaterThan(0);
    expect(Object.fromEntries(res.headers)).toMatchObject({
      "content-type": "image/png",
      "content-length": String(png.byteLength),
      "content-disposition": "inline; filename=wide.png",
      "x-content-type-options": "nosniff",
      "cache-control": expect.stringMatching(/^private/),
    });
    const preview = await fetchFile(ann, image.id, "?variant=preview");
    expect(preview.status).toBe(200);
    expect(preview.headers.get("content-type")).toBe("image/webp");
    expect(preview.headers.get("content-disposition")).toBe("inline; filename=wide.webp");
    const download = await fetchFile(ann, image.id, "?download=1");
    expect(download.headers.get("content-disposition")).toBe("attachment; filename=wide.png");
  });

  it("when an HTML page is named .png, then it is stored as application/octet-stream, a file, served only as a download", async () => {
    const file = await upload(ann, HTML_PAGE, "cute-cat.png");
    expect(file).toMatchObject({ name: "cute-cat.png", contentType: "application/octet-stream", kind: "file", width: null, height: null });
    const res = await fetchFile(ann, file.id);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("content-disposition")).toBe("attachment; filename=cute-cat.png");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(error(await fetchFile(ann, file.id, "?variant=preview"))).toEqual([404, "attachment_not_found"]);
  });

  it("when an executable is renamed to .jpg, then its real type is stored and it is a download", async () => {
    const file = await upload(ann, buildElf(), "invoice.jpg");
    expect(file).toMatchObject({ contentType: "application/x-elf", kind: "file" });
    expect((await fetchFile(ann, file.id)).headers.get("content-disposition")).toBe("attachment; filename=invoice.jpg");
  });

  it("when a PNG declares 2.5 gigapixels, then it is kept as a file without a preview (never decoded)", async () => {
    const file = await upload(ann, buildPngBomb(), "bomb.png");
    expect(file).toMatchObject({ contentType: "image/png", kind: "file", width: null, height: null });
    expect((await fetchFile(ann, file.id)).headers.get("content-disposition")).toBe("attachment; filename=bomb.png");
  });

  it("when the name is a path with control and bidi characters, then only a clean last segment is kept", async () => {
    const target = await start(ann, Buffer.from("x"), "../../etc/pass\u0000wd\u202Etxt.exe");
    expect(target.attachment.name).toBe("passwdtxt.exe");
  });

  it("when the first upload goes to someone with no conversation yet, then it works (the direct conversation is made)", async () => {
    const file = await upload(rita, Buffer.from("hello"), "hello.txt", { with: quinn.userId });
    expect(file).toMatchObject({ kind: "file", size: 5 });
  });
});

describe("who may use an attachment", () => {
  it("when a stranger names the id, then 404 attachment_not_found for reading, uploading and completing", async () => {
    const target = await start(ann, Buffer.from("secret"), "secret.txt");
    expect(error(await call("PUT", target.upload.url, { cookie: eve.cookie, body: Buffer.from("evil"), headers: octets }))).toEqual([
      404,
      "attachment_not_found",
    ]);
    await call("PUT", target.upload.url, { cookie: ann.cookie, body: Buffer.from("secret"), headers: octets });
    expect(error(await call("POST", `/api/chat/attachments/${target.attachment.id}/complete`, { cookie: eve.cookie }))).toEqual([
      404,
      "attachment_not_found",
    ]);
    await call("POST", `/api/chat/attachments/${target.attachment.id}/complete`, { cookie: ann.cookie });
    expect(error(await fetchFile(eve, target.attachment.id))).toEqual([404, "attachment_not_found"]);
    expect(error(await fetchFile(eve, randomUUID()))).toEqual([404, "attachment_not_found"]);
  });

  it("when the peer fetches an upload that was never sent, then 404 (unsent uploads are the uploader's own)", async () => {
    const file = await upload(ann, Buffer.from("draft"), "draft.txt");
    expect(error(await fetchFile(bob, file.id))).toEqual([404, "attachment_not_found"]);
  });

  it("when someone uploads into a conversation they are not in, then 404 conversation_not_found", async () => {
    const res = await call("POST", "/api/chat/attachments", {
      cookie: eve.cookie,
      json: { conversationId: randomUUID(), name: "x.txt", size: 1 },
    });
    expect(error(res)).toEqual([404, "conversation_not_found"]);
  });

  it("when nobody is signed in, then 401", async () => {
    expect(error(await call("POST", "/api/chat/attachments", { json: { with: bob.userId, name: "x", size: 1 } }))).toEqual([
      401,
      "unauthorized",
    ]);
    expect(error(await call("GET", `/api/chat/attachments/${randomUUID()}`))).toEqual([401, "unauthorized"]);
  });

  it("when the input is malformed, then 422 validation_failed", async () => {
    const bad = [{}, { with: bob.userId, name: "x" }, { with: bob.userId, name: "x", size: 0 }, { with: "nope", name: "x", size: 1 }];
    for (const json of bad)
      expect(error(await call("POST", "/api/chat/attachments", { cookie: ann.cookie, json }))).toEqual([422, "validation_failed"]);
    expect(error(await fetchFile(ann, "not-a-uuid"))).toEqual([422, "validation_failed"]);
    expect(error(await fetchFile(ann, randomUUID(), "?variant=huge"))).toEqual([422, "validation_failed"]);
  });
});

describe("limits", () => {
  it("when a file is announced over ATTACHMENT_MAX_BYTES, then 413 attachment_too_large", async () => {
    const res = await call("POST", "/api/chat/attachments", {
      cookie: ann.cookie,
      json: { with: bob.userId, name: "big.bin", size: MAX_BYTES + 1 },
    });
    expect(error(res)).toEqual([413, "attachment_too_large"]);
  });

  it("when more bytes arrive than announced, then 413 attachment_too_large, nothing is kept, and complete says upload_missing", async () => {
    const target = await start(ann, Buffer.alloc(10), "small.bin");
    const res = await call("PUT", target.upload.url, { cookie: ann.cookie, body: Buffer.alloc(11), headers: octets });
    expect(error(res)).toEqual([413, "attachment_too_large"]);
    expect(fileOnDisk(target.attachment.id)).toBe(false);
    expect(error(await call("POST", `/api/chat/attachments/${target.attachment.id}/complete`, { cookie: ann.cookie }))).toEqual([
      409,
      "upload_missing",
    ]);
  });

  it("when a user's uploads pass ATTACHMENT_QUOTA_BYTES, then 413 quota_exceeded", async () => {
    const quota = await signIn("quota@attach.example");
    const ask = () =>
      call("POST", "/api/chat/attachments", { cookie: quota.cookie, json: { with: bob.userId, name: "q.bin", size: MAX_BYTES } });
    for (let i = 0; i < QUOTA_BYTES / MAX_BYTES; i++) expect((await ask()).status).toBe(201);
    expect(error(await ask())).toEqual([413, "quota_exceeded"]);
  });

  it("when a user asks for more than RATE_LIMIT_ATTACHMENTS upload targets a minute, then 429 rate_limited with Retry-After", async () => {
    const busy = await signIn("busy@attach.example");
    const ask = () => call("POST", "/api/chat/attachments", { cookie: busy.cookie, json: { with: bob.userId, name: "r.bin", size: 1 } });
    for (let i = 0; i < UPLOADS_PER_MINUTE; i++) expect((await ask()).status).toBe(201);
    const limited = await ask();
    expect(error(limited)).toEqual([429, "rate_limited"]);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("GET /api/cron/attachments (cleanup)", () => {
  it("when an upload is older than 24 h and no message took it, then the sweep removes its row and files; a fresh one stays", async () => {
    const old = await upload(ann, await buildPng(50, 50), "old.png");
    const fresh = await upload(ann, Buffer.from("fresh"), "fresh.txt");
    expect(fileOnDisk(old.id)).toBe(true);
    const { local } = await getServices();
    await local!.db.query("update public.attachments set created_at = now() - interval '25 hours' where id = $1", [old.id]);

    expect(error(await call("GET", "/api/cron/attachments"))).toEqual([401, "unauthorized"]);
    const swept = await call("GET", "/api/cron/attachments", { headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect(swept.status).toBe(200);
    expect(swept.body.data).toMatchObject({ swept: true, removed: expect.any(Number) });
    expect(swept.body.data.removed).toBeGreaterThanOrEqual(1);
    expect(fileOnDisk(old.id)).toBe(false);
    expect(error(await fetchFile(ann, old.id))).toEqual([404, "attachment_not_found"]);
    expect(fileOnDisk(fresh.id)).toBe(true);
    expect((await fetchFile(ann, fresh.id)).status).toBe(200);
  });
});

describe("POST /api/chat/send with attachmentIds", () => {
  const send = (who: User, json: Record<string, unknown>) =>
    call("POST", "/api/chat/send", { cookie: who.cookie, json: { clientId: randomUUID(), ...json } });

  it("when a message carries an image and a file without text, then 201 with both in order; the peer reads them, history and the push carry them", async () => {
    const image = await upload(ann, await buildPng(320, 240), "photo.png");
    const file = await upload(ann, Buffer.from("%PDF-1.4 not really"), "notes.pdf");
    const res = await send(ann, { recipientId: bob.userId, attachmentIds: [image.id, file.id] });
    expect(res.status, res.text).toBe(201);
    const message = res.body.data;
    expect(message).toMatchObject({ content: "", attachments: [image, file] });
    expect((await fetchFile(bob, image.id)).status).toBe(200);
    expect((await fetchFile(bob, image.id, "?variant=preview")).headers.get("content-type")).toBe("image/webp");
    expect(error(await fetchFile(eve, image.id))).toEqual([404, "attachment_not_found"]);
    const history = await call("GET", `/api/chat/history?with=${ann.userId}`, { cookie: bob.cookie });
    expect(history.body.data.messages.find((m: { id: string }) => m.id === message.id).attachments).toEqual([image, file]);
    const pushed = await waitFor(() => app.receiver.received.find((p) => p.id === `msg_${message.id}`));
    expect((pushed.push as { data: { attachments: Attachment[] } }).data.attachments).toEqual([image, file]);
    // The same send again (the outbox's retry) is answered with the stored message.
    const again = await call("POST", "/api/chat/send", {
      cookie: ann.cookie,
      json: { clientId: message.clientId, recipientId: bob.userId, attachmentIds: [image.id, file.id] },
    });
    expect(again.status).toBe(200);
    expect(again.body.data.id).toBe(message.id);
  });

  it("when the ids are not the sender's own ready, unsent uploads of this conversation, then 422 invalid_attachments", async () => {
    const mine = await upload(ann, Buffer.from("one"), "one.txt");
    expect((await send(ann, { recipientId: bob.userId, content: "first", attachmentIds: [mine.id] })).status).toBe(201);
    // Already sent.
    expect(error(await send(ann, { recipientId: bob.userId, content: "again", attachmentIds: [mine.id] }))).toEqual([
      422,
      "invalid_attachments",
    ]);
    // Someone else's.
    const bobs = await upload(bob, Buffer.from("bob's"), "bob.txt", { with: ann.userId });
    expect(error(await send(ann, { recipientId: bob.userId, content: "x", attachmentIds: [bobs.id] }))).toEqual([
      422,
      "invalid_attachments",
    ]);
    // Not complete yet.
    const pending = await start(ann, Buffer.from("later"), "later.txt");
    expect(error(await send(ann, { recipientId: bob.userId, content: "x", attachmentIds: [pending.attachment.id] }))).toEqual([
      422,
      "invalid_attachments",
    ]);
    // Another conversation's.
    const elsewhere = await upload(ann, Buffer.from("eve"), "eve.txt", { with: eve.userId });
    expect(error(await send(ann, { recipientId: bob.userId, content: "x", attachmentIds: [elsewhere.id] }))).toEqual([
      422,
      "invalid_attachments",
    ]);
  });

  it("when a message names 11 attachments, then 422 too_many_attachments; without text or attachments, 422 validation_failed", async () => {
    const ids = Array.from({ length: 11 }, () => randomUUID());
    expect(error(await send(ann, { recipientId: bob.userId, attachmentIds: ids }))).toEqual([422, "too_many_attachments"]);
    expect(error(await send(ann, { recipientId: bob.userId, attachmentIds: [] }))).toEqual([422, "validation_failed"]);
    expect(error(await send(ann, { recipientId: bob.userId, content: "  ", attachmentIds: [] }))).toEqual([422, "validation_failed"]);
  });

  it("when a member is removed from a group, then the group's files answer 404 to them, even with the id", async () => {
    const created = await call("POST", "/api/chat/conversations", {
      cookie: ann.cookie,
      json: { kind: "group", name: "Photos", memberIds: [bob.userId, rita.userId] },
    });
    const groupId = created.body.data.id as string;
    const photo = await upload(ann, await buildPng(100, 100), "group.png", { conversationId: groupId });
    expect((await send(ann, { conversationId: groupId, attachmentIds: [photo.id] })).status).toBe(201);
    expect((await fetchFile(rita, photo.id)).status).toBe(200);
    expect((await call("DELETE", `/api/chat/conversations/${groupId}/members/${rita.userId}`, { cookie: ann.cookie })).status).toBe(200);
    expect(error(await fetchFile(rita, photo.id))).toEqual([404, "attachment_not_found"]);
    expect(error(await fetchFile(rita, photo.id, "?variant=preview"))).toEqual([404, "attachment_not_found"]);
    expect((await fetchFile(bob, photo.id)).status).toBe(200);
  });

  it("when the sender deletes the message, then its files answer 404 at once and the sweep removes them", async () => {
    const doomed = await upload(ann, await buildPng(64, 64), "doomed.png");
    const sent = await send(ann, { recipientId: bob.userId, content: "oops", attachmentIds: [doomed.id] });
    const deleted = await call("DELETE", `/api/chat/messages/${sent.body.data.id}`, { cookie: ann.cookie });
    expect(deleted.status, deleted.text).toBe(200);
    expect(deleted.body.data.attachments).toEqual([]);
    expect(error(await fetchFile(bob, doomed.id))).toEqual([404, "attachment_not_found"]);
    expect(error(await fetchFile(ann, doomed.id))).toEqual([404, "attachment_not_found"]);
    expect(fileOnDisk(doomed.id)).toBe(true);
    await call("GET", "/api/cron/attachments", { headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect(fileOnDisk(doomed.id)).toBe(false);
  });
});
