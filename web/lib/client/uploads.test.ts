import { describe, expect, it } from "vitest";
import { buildFile, createFakeBackend, createFakeUploadTransport, createMemoryKeyValue, ME, PEER, settle } from "@/lib/chat/test-support";
import { ApiError } from "./api";
import { createUploads, describeUploadError } from "./uploads";

function buildUploads() {
  const backend = createFakeBackend();
  const fake = createFakeUploadTransport(backend);
  const events = { settled: 0, unauthorized: 0 };
  const uploads = createUploads({
    userId: ME.id,
    storage: createMemoryKeyValue(),
    api: backend.api,
    transport: fake.transport,
    maxBytes: 25 * 1024 * 1024,
    onSettled: () => void (events.settled += 1),
    onUnauthorized: () => void (events.unauthorized += 1),
  });
  return { uploads, backend, fake, events };
}

describe("uploads", () => {
  it("when the server refuses with a documented code, then the UI says what it means", () => {
    expect(describeUploadError({ code: "attachment_too_large", message: "x" })).toBe("Too large to send.");
    expect(describeUploadError({ code: "quota_exceeded", message: "x" })).toBe("Your storage quota is full.");
    expect(describeUploadError({ code: "rate_limited", message: "x" })).toMatch(/Too many uploads/);
    expect(describeUploadError({ code: "file_gone", message: "x" })).toMatch(/choose it again/);
    expect(describeUploadError({ code: "something_new", message: "The server's own words." })).toBe("The server's own words.");
  });

  it("when bytes go out, then progress is shown about once per percent, not per event", async () => {
    const { uploads, fake } = buildUploads();
    const seen: number[] = [];
    uploads.subscribe((items) => seen.push(items[0]?.loaded ?? -1));
    uploads.add(PEER.id, { with: PEER.id }, buildFile("a.png", 10_000));
    await settle();
    const before = seen.length;
    for (let loaded = 10; loaded <= 500; loaded += 10) fake.last().progress(loaded);
    // 50 events over 5% of the file: at most a handful of updates.
    expect(seen.length - before).toBeLessThanOrEqual(6);
    expect(uploads.items()[0]?.loaded).toBeGreaterThanOrEqual(400);
  });

  it("when the session ended (401), then the upload fails and the client is told", async () => {
    const { uploads, backend, events } = buildUploads();
    backend.failNext("createAttachment", new ApiError(401, "unauthorized", "Sign in again."));
    uploads.add(PEER.id, { with: PEER.id }, buildFile());
    await settle();
    expect(uploads.items()[0]).toMatchObject({ status: "failed", error: { code: "unauthorized" } });
    expect(events).toEqual({ settled: 1, unauthorized: 1 });
  });

  it("when a message's upload is cancelled, then it is left out and the others decide readiness", async () => {
    const { uploads, fake } = buildUploads();
    const first = uploads.add(PEER.id, { with: PEER.id }, buildFile("1.png"));
    const second = uploads.add(PEER.id, { with: PEER.id }, buildFile("2.png"));
    uploads.assign([first.id, second.id], "client-1");
    await settle();
    expect(uploads.readiness([first.id, second.id])).toEqual({ state: "waiting" });
    uploads.cancel(second.id);
    fake.puts[0]!.finish();
    await settle();
    const ready = uploads.readiness([first.id, second.id]);
    expect(ready).toEqual({ state: "ready", attachmentIds: [uploads.items()[0]!.attachment!.id] });
    expect(uploads.readiness(["not-in-this-tab"])).toEqual({ state: "blocked" });
  });
});
