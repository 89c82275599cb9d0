import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { isStorageKey, TooLargeError, type FileStorage } from "./types";

/**
 * Attachments on local disk (embedded and DATABASE_URL modes): `<root>/<conversation>/<attachment>/<variant>`.
 * No URL reaches these files: they are served only through the authorised route, so
 * `signedUploadUrl` and `signedDownloadUrl` answer null. A write lands in a temporary file that
 * is renamed into place once complete: a reader never sees half a file.
 */
export function createDiskStorage(root: string): FileStorage {
  const pathOf = (key: string) => {
    // IMPORTANT: keys are made by storageKeys; this refuses anything else (no "..", no absolute paths).
    if (!isStorageKey(key)) throw new Error(`not a storage key: ${key}`);
    return path.join(root, ...key.split("/"));
  };

  return {
    async write(key, body, { maxBytes }) {
      const target = pathOf(key);
      await fs.mkdir(path.dirname(target), { recursive: true });
      const temporary = `${target}.${randomUUID()}.part`;
      let size = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          size += chunk.byteLength;
          callback(size > maxBytes ? new TooLargeError(maxBytes) : null, chunk);
        },
      });
      const source = body instanceof Uint8Array ? Readable.from([Buffer.from(body)]) : Readable.fromWeb(body as never);
      try {
        await pipeline(source, counter, createWriteStream(temporary, { flags: "wx" }));
        await fs.rename(temporary, target);
      } catch (error) {
        await fs.rm(temporary, { force: true });
        await fs.rmdir(path.dirname(target)).catch(() => {});
        throw error;
      }
      return { size };
    },

    async read(key) {
      const file = pathOf(key);
      try {
        const handle = await fs.open(file, "r");
        const { size } = await handle.stat();
        const stream = createReadStream(file, { fd: handle });
        return { body: Readable.toWeb(stream) as ReadableStream<Uint8Array>, size };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw error;
      }
    },

    async remove(keys) {
      for (const key of keys) {
        const file = pathOf(key);
        await fs.rm(file, { force: true });
        // The attachment's folder goes with its last file; a folder still in use stays.
        await fs.rmdir(path.dirname(file)).catch(() => {});
      }
    },

    signedUploadUrl: async () => null,
    signedDownloadUrl: async () => null,
  };
}
