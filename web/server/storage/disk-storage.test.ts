import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createDiskStorage } from "./disk-storage";
import { storageKeys, TooLargeError } from "./types";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});
function setup() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "chat-disk-storage-"));
  roots.push(root);
  return { root, storage: createDiskStorage(root), keys: storageKeys(randomUUID(), randomUUID()) };
}
const streamOf = (...chunks: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
const text = async (body: ReadableStream<Uint8Array>) => new Response(body).text();

describe("disk storage", () => {
  it("when bytes are streamed in, then they are read back with their size, and removed", async () => {
    const { storage, keys } = setup();
    expect(
      await storage.write(keys.original, streamOf(Buffer.from("hello "), Buffer.from("world")), { contentType: "x", maxBytes: 11 }),
    ).toEqual({
      size: 11,
    });
    const object = await storage.read(keys.original);
    expect(object?.size).toBe(11);
    expect(await text(object!.body)).toBe("hello world");
    await storage.remove([keys.original, keys.preview]);
    expect(await storage.read(keys.original)).toBeNull();
  });

  it("when a stream passes maxBytes, then TooLargeError and nothing is kept (no partial file either)", async () => {
    const { root, storage, keys } = setup();
    const write = storage.write(keys.original, streamOf(Buffer.alloc(6), Buffer.alloc(6)), { contentType: "x", maxBytes: 10 });
    await expect(write).rejects.toBeInstanceOf(TooLargeError);
    expect(await storage.read(keys.original)).toBeNull();
    expect(fs.readdirSync(root, { recursive: true }).filter((name) => String(name).endsWith(".part"))).toEqual([]);
  });

  it("when a key is not one storageKeys makes, then it is refused (no path outside the root)", async () => {
    const { storage } = setup();
    await expect(storage.read("../../etc/passwd")).rejects.toThrow(/not a storage key/);
    await expect(storage.write(`${randomUUID()}/../x/original`, new Uint8Array(1), { contentType: "x", maxBytes: 1 })).rejects.toThrow();
  });

  it("when asked for signed URLs, then null: the bytes go only through the authorised route", async () => {
    const { storage, keys } = setup();
    expect(await storage.signedUploadUrl(keys.original)).toBeNull();
    expect(await storage.signedDownloadUrl(keys.original, { fileName: "a", expiresInSeconds: 60 })).toBeNull();
  });
});
