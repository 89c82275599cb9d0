import { describe, expect, it } from "vitest";
import { MAX_ATTACHMENTS_PER_MESSAGE } from "socket-server/contract";
import { ATTACHMENTS_PER_MESSAGE_MAX } from "@/lib/limits";
import { stagedUploads, uploadsOfItem } from "./chat-state";
import { buildClient, buildFile, createMemoryKeyValue, ME, PEER, settle } from "./test-support";
import { createMemoryStorage } from "@/lib/client/outbox";

async function openWithPeer(options: Parameters<typeof buildClient>[0] = {}) {
  const built = buildClient(options);
  built.socket.up();
  await built.client.openConversation(PEER);
  await settle();
  return built;
}

const staged = (client: ReturnType<typeof buildClient>["client"]) => stagedUploads(client.getState(), client.getState().view!);

describe("attachments", () => {
  it("keeps the client's limit equal to the contract's", () => {
    expect(ATTACHMENTS_PER_MESSAGE_MAX).toBe(MAX_ATTACHMENTS_PER_MESSAGE);
  });

  it("when I attach a file, then it uploads with progress (target, PUT, complete) before anything is sent", async () => {
    const { client, backend, uploads } = await openWithPeer();
    expect(client.attachFiles([buildFile("photo.png", 1000)])).toEqual({ rejected: [] });
    await settle();
    expect(backend.callsOf("createAttachment")).toEqual([{ with: PEER.id, name: "photo.png", contentType: "image/png", size: 1000 }]);
    uploads.last().progress(400);
    expect(staged(client)).toMatchObject([{ name: "photo.png", status: "uploading", loaded: 400 }]);
    uploads.last().finish();
    await settle();
    expect(staged(client)).toMatchObject([{ status: "done", attachment: { kind: "image", width: 640, height: 480 } }]);
    expect(backend.callsOf("sendMessage")).toEqual([]);
  });

  it("when I send while the upload runs, then the message waits, and goes once with the attachment and text when it is done", async () => {
    const { client, backend, uploads } = await openWithPeer();
    client.attachFiles([buildFile("report.pdf", 5000, "application/pdf")]);
    await settle();
    client.sendMessage("the report");
    await settle();
    const [item] = client.getState().outbox;
    expect(item).toMatchObject({ content: "the report", status: "pending" });
    expect(uploadsOfItem(client.getState(), item!)).toMatchObject([{ name: "report.pdf", status: "uploading" }]);
    expect(staged(client)).toEqual([]);
    expect(backend.callsOf("sendMessage")).toEqual([]);

    uploads.last().finish();
    await settle();
    const sent = backend.callsOf("sendMessage") as { attachmentIds?: string[]; content: string }[];
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ content: "the report", attachmentIds: [expect.any(String)] });
    const message = client.getState().view!.messages.at(-1)!;
    expect(message.attachments).toMatchObject([{ name: "report.pdf", kind: "file", contentType: "application/pdf" }]);
    // Sent: nothing is left to show or keep.
    expect(client.getState().outbox).toEqual([]);
    expect(client.getState().uploads).toEqual([]);
  });

  it("when a message has only files, then it is sent without text, in the order they were attached", async () => {
    const { client, backend } = await openWithPeer({ autoFinishUploads: true });
    client.attachFiles([buildFile("a.png"), buildFile("b.png")]);
    client.sendMessage("");
    await settle();
    const message = client.getState().view!.messages.at(-1)!;
    expect(message.content).toBe("");
    expect(message.attachments?.map((attachment) => attachment.name)).toEqual(["a.png", "b.png"]);
    expect(backend.callsOf("sendMessage")).toHaveLength(1);
  });

  it("when a message waits for its upload, then my next text message waits behind it (order is kept)", async () => {
    const { client, backend, uploads } = await openWithPeer();
    client.attachFiles([buildFile("big.png")]);
    client.sendMessage("");
    client.sendMessage("after the picture");
    await settle();
    expect(backend.callsOf("sendMessage")).toEqual([]);
    uploads.last().finish();
    await settle();
    expect(client.getState().view!.messages.map((message) => message.attachments?.length ?? message.content)).toEqual([
      1,
      "after the picture",
    ]);
  });

  it("when too many or too large files are attached, then they are turned away with the reason and the rest upload", async () => {
    const { client, backend } = await openWithPeer();
    const files = Array.from({ length: 11 }, (_, index) => buildFile(`f${index}.txt`, 10, "text/plain"));
    const result = client.attachFiles([buildFile("huge.bin", 26 * 1024 * 1024, "application/octet-stream"), ...files]);
    expect(result.rejected).toEqual([
      { name: "huge.bin", reason: "larger than 25 MB" },
      { name: "f10.txt", reason: "a message carries at most 10 files" },
    ]);
    expect(staged(client)).toHaveLength(10);
    await settle();
    expect(backend.callsOf("createAttachment")).toHaveLength(10);
  });

  it("when the server's limit is below the default, then a file over it is turned away at once and never uploaded", async () => {
    const { client, backend } = await openWithPeer({ attachmentMaxBytes: 100 * 1024 });
    const result = client.attachFiles([buildFile("scan.pdf", 100 * 1024 + 1, "application/pdf"), buildFile("ok.png", 100 * 1024)]);
    expect(result.rejected).toEqual([{ name: "scan.pdf", reason: "larger than 100 KB" }]);
    await settle();
    expect(backend.callsOf("createAttachment")).toMatchObject([{ name: "ok.png" }]);
  });

  it("when the server's limit is above the default, then a file between the two uploads", async () => {
    const { client, backend } = await openWithPeer({ attachmentMaxBytes: 50 * 1024 * 1024 });
    expect(client.attachFiles([buildFile("video.mp4", 30 * 1024 * 1024, "video/mp4")])).toEqual({ rejected: [] });
    await settle();
    expect(backend.callsOf("createAttachment")).toMatchObject([{ name: "video.mp4", size: 30 * 1024 * 1024 }]);
  });

  it("when a failed upload is retried with a file over the server's limit, then it fails at once without a request", async () => {
    const { client, backend, uploads } = await openWithPeer({ attachmentMaxBytes: 2000 });
    client.attachFiles([buildFile("photo.png", 1000)]);
    await settle();
    uploads.last().fail(new Error("network down"));
    await settle();
    const [failed] = client.getState().uploads;
    expect(failed).toMatchObject({ status: "failed" });
    client.retryUpload(failed!.id, buildFile("photo.png", 2001));
    await settle();
    expect(client.getState().uploads).toMatchObject([{ status: "failed", error: { code: "attachment_too_large" } }]);
    expect(backend.callsOf("createAttachment")).toHaveLength(1);
  });

  it("when an upload fails, then the server's code is kept, the message waits, and a retry uploads it again and sends", async () => {
    const { client, backend, uploads } = await openWithPeer();
    client.attachFiles([buildFile("photo.png")]);
    await settle();
    client.sendMessage("look");
    const { ApiError } = await import("@/lib/client/api");
    uploads.last().fail(new ApiError(413, "quota_exceeded", "Your storage quota is used up."));
    await settle();
    const [failed] = client.getState().uploads;
    expect(failed).toMatchObject({ status: "failed", error: { code: "quota_exceeded" } });
    expect(backend.callsOf("sendMessage")).toEqual([]);

    client.retryUpload(failed!.id);
    await settle();
    uploads.last().finish();
    await settle();
    expect(backend.callsOf("createAttachment")).toHaveLength(2);
    expect(client.getState().view!.messages.at(-1)).toMatchObject({ content: "look", attachments: [{ name: "photo.png" }] });
  });

  it("when I cancel an upload, then its PUT is aborted: gone from the composer, or left out of its message", async () => {
    const { client, backend, uploads } = await openWithPeer();
    client.attachFiles([buildFile("one.png")]);
    await settle();
    client.cancelUpload(staged(client)[0]!.id);
    expect(uploads.last().aborted).toBe(true);
    expect(staged(client)).toEqual([]);

    client.attachFiles([buildFile("two.png"), buildFile("three.png")]);
    await settle();
    client.sendMessage("two of them");
    const [two, three] = client.getState().uploads;
    client.cancelUpload(three!.id);
    uploads.puts.find((put) => !put.aborted)?.finish();
    await settle();
    expect(client.getState().uploads.find((upload) => upload.id === two!.id)).toBeUndefined();
    expect(client.getState().view!.messages.at(-1)).toMatchObject({ content: "two of them", attachments: [{ name: "two.png" }] });
    expect(backend.callsOf("sendMessage")).toHaveLength(1);
  });

  it("when I cancel the only file of a message without text, then the message is discarded", async () => {
    const { client, backend } = await openWithPeer();
    client.attachFiles([buildFile("only.png")]);
    client.sendMessage("");
    await settle();
    client.cancelUpload(client.getState().uploads[0]!.id);
    await settle();
    expect(client.getState().outbox).toEqual([]);
    expect(backend.callsOf("sendMessage")).toEqual([]);
  });

  it("when the page reloads mid-upload, then the upload is failed as gone (the message waits); choosing the file again sends it", async () => {
    const session = createMemoryKeyValue();
    const outboxStorage = createMemoryStorage();
    const first = await openWithPeer({ session, outboxStorage });
    first.client.attachFiles([buildFile("lost.png")]);
    first.client.sendMessage("before the reload");
    await settle();
    first.stop();

    // The same tab, reloaded: the outbox and this tab's upload records are still there, the bytes are not.
    const second = await openWithPeer({ session, outboxStorage, backend: first.backend });
    const state = second.client.getState();
    expect(state.outbox).toMatchObject([{ content: "before the reload", status: "pending" }]);
    const [lost] = uploadsOfItem(state, state.outbox[0]!);
    expect(lost).toMatchObject({ status: "failed", fileGone: true, error: { code: "file_gone" } });
    expect(first.backend.callsOf("sendMessage")).toEqual([]);

    second.client.retryUpload(lost!.id, buildFile("lost.png"));
    await settle();
    second.uploads.last().finish();
    await settle();
    expect(second.client.getState().view!.messages.at(-1)).toMatchObject({
      content: "before the reload",
      attachments: [{ name: "lost.png" }],
    });
    expect(second.client.getState().outbox).toEqual([]);
  });

  it("when the page reloads after the bytes were stored, then the upload completes without the file and the message goes", async () => {
    const session = createMemoryKeyValue();
    const outboxStorage = createMemoryStorage();
    const first = await openWithPeer({ session, outboxStorage });
    first.backend.failNext("completeAttachment", new Error("the page went away"));
    first.client.attachFiles([buildFile("kept.png")]);
    first.client.sendMessage("");
    await settle();
    first.uploads.last().finish();
    await settle();
    expect(first.client.getState().uploads[0]).toMatchObject({ stored: true });
    first.stop();
    // As if the tab closed while `complete` was in flight.
    const records = JSON.parse(session.entries.get(`chat:uploads:v1:${ME.id}`)!) as { status: string }[];
    session.entries.set(
      `chat:uploads:v1:${ME.id}`,
      JSON.stringify(records.map((record) => ({ ...record, status: "uploading", error: null }))),
    );

    const second = await openWithPeer({ session, outboxStorage, backend: first.backend });
    await settle();
    expect(second.client.getState().view!.messages.at(-1)).toMatchObject({ attachments: [{ name: "kept.png" }] });
  });
});
