import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "./api";
import { createFetchUploadTransport, isAbortError } from "./upload-transport";

// A real HTTP server standing in for the upload route (or a storage's signed URL).
let server: Server;
let baseUrl = "";
const received: { method?: string; type?: string; bytes: number }[] = [];

async function readBody(request: IncomingMessage): Promise<number> {
  let bytes = 0;
  for await (const chunk of request) bytes += (chunk as Buffer).length;
  return bytes;
}

beforeAll(async () => {
  server = createServer((request, response) => {
    void readBody(request).then((bytes) => {
      received.push({ method: request.method, type: request.headers["content-type"], bytes });
      if (request.url === "/too-large") {
        response.writeHead(413, { "Content-Type": "application/json" });
        response.end(JSON.stringify({ error: { code: "attachment_too_large", message: "At most 25 MB." } }));
      } else if (request.url === "/storage-error") {
        response.writeHead(400, { "Content-Type": "application/json" });
        response.end(JSON.stringify({ statusCode: "400", error: "InvalidJWT", message: "The signature has expired." }));
      } else if (request.url === "/slow") {
        setTimeout(() => response.end(), 5_000);
      } else {
        response.writeHead(200);
        response.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const put = (path: string, signal = new AbortController().signal) => {
  const progress: number[] = [];
  const transport = createFetchUploadTransport({ baseUrl });
  const done = transport({
    upload: { method: "PUT", url: path, headers: { "Content-Type": "image/png" } },
    body: new Blob([new Uint8Array(2048)]),
    onProgress: (loaded) => progress.push(loaded),
    signal,
  });
  return { done, progress };
};

describe("fetch upload transport", () => {
  it("when the target accepts the bytes, then it resolves and reports them all sent", async () => {
    const { done, progress } = put("/ok");
    await done;
    expect(progress).toEqual([2048]);
    expect(received.at(-1)).toEqual({ method: "PUT", type: "image/png", bytes: 2048 });
  });

  it("when our route refuses, then it rejects with its status and code", async () => {
    const error = await put("/too-large").done.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 413, code: "attachment_too_large", message: "At most 25 MB." });
  });

  it("when a storage URL refuses in its own shape, then its message is kept", async () => {
    const error = await put("/storage-error").done.catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 400, code: "upload_failed", message: "The signature has expired." });
  });

  it("when aborted, then it rejects with an AbortError", async () => {
    const controller = new AbortController();
    const { done } = put("/slow", controller.signal);
    controller.abort();
    expect(isAbortError(await done.catch((caught: unknown) => caught))).toBe(true);
  });
});
