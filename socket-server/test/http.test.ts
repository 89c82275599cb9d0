import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./helpers.js";

describe("HTTP routes", () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startServer();
  });

  afterEach(async () => {
    await server.close();
  });

  it("when /healthz is requested, then it answers 200 ok", async () => {
    const response = await fetch(`${server.url}/healthz`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { ok: true } });
  });

  it("when an unknown route is requested, then it answers 404 JSON", async () => {
    const response = await fetch(`${server.url}/nope`, { method: "POST" });

    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/application\/json/);
    expect(await response.json()).toEqual({ error: { code: "not_found", message: "Not found" } });
  });

  it("when the webhook route is requested with GET, then it answers 404 JSON", async () => {
    const response = await fetch(`${server.url}/webhooks/messages`);

    expect(response.status).toBe(404);
  });

  it("when close() is called twice, then both calls resolve", async () => {
    await Promise.all([server.close(), server.close()]);

    expect(server.app.httpServer.listening).toBe(false);
  });
});
