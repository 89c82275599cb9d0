import { describe, expect, it } from "vitest";
import { assertSameOrigin, clientIp, readBody, readJson } from "./http";
import { PEER_HEADER, setPeerAddress } from "./peer-address";

const request = (headers: Record<string, string>, peer?: string) => {
  const all = new Headers(headers);
  if (peer !== undefined) setPeerAddress(all, peer);
  return new Request("http://localhost:3000/api/auth/login", { method: "POST", headers: all });
};

describe("clientIp", () => {
  it("when no proxy is trusted, then the TCP peer counts and X-Forwarded-For is ignored", () => {
    expect(clientIp(request({ "x-forwarded-for": "203.0.113.9" }, "192.0.2.10"), 0)).toBe("192.0.2.10");
    expect(clientIp(request({}, "::ffff:192.0.2.11"), 0)).toBe("192.0.2.11");
  });

  it("when the peer header was not stamped by this process, then there is no address", () => {
    expect(clientIp(request({ [PEER_HEADER]: "0123456789abcdef 192.0.2.10" }), 0)).toBeUndefined();
    expect(clientIp(request({ "x-forwarded-for": "203.0.113.9" }), 0)).toBeUndefined();
  });

  it("when N proxies are trusted, then the Nth address from the right of X-Forwarded-For counts", () => {
    const chain = { "x-forwarded-for": "10.9.9.9, 203.0.113.9, 198.51.100.1" };
    expect(clientIp(request(chain, "10.0.0.2"), 1)).toBe("198.51.100.1");
    expect(clientIp(request(chain, "10.0.0.2"), 2)).toBe("203.0.113.9");
    // The client's own forged prefix is never reached.
    expect(clientIp(request(chain, "10.0.0.2"), 3)).toBe("10.9.9.9");
  });

  it("when the chain is shorter than the trusted hops or holds no IP, then there is no address", () => {
    expect(clientIp(request({ "x-forwarded-for": "198.51.100.1" }, "10.0.0.2"), 2)).toBeUndefined();
    expect(clientIp(request({}, "10.0.0.2"), 1)).toBeUndefined();
    expect(clientIp(request({ "x-forwarded-for": "unknown" }, "10.0.0.2"), 1)).toBeUndefined();
  });
});

describe("readBody", () => {
  /** An endless chunked upload that counts how much was pulled from it. */
  function endlessBody(chunkBytes = 16 * 1024) {
    const stats = { pulled: 0, cancelled: false };
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        stats.pulled += chunkBytes;
        controller.enqueue(new Uint8Array(chunkBytes));
      },
      cancel() {
        stats.cancelled = true;
      },
    });
    return { body, stats };
  }

  it("when a chunked body never ends, then reading stops just past the limit with 413 and the stream is cancelled", async () => {
    const { body, stats } = endlessBody();
    const upload = new Request("http://localhost/x", { method: "POST", body, duplex: "half" } as RequestInit);
    await expect(readBody(upload, 64 * 1024)).rejects.toMatchObject({ status: 413, code: "payload_too_large" });
    expect(stats.pulled).toBeLessThanOrEqual(64 * 1024 + 3 * 16 * 1024);
    expect(stats.cancelled).toBe(true);
  });

  it("when Content-Length declares more than the limit, then 413 before reading anything", async () => {
    const { body, stats } = endlessBody();
    const upload = new Request("http://localhost/x", {
      method: "POST",
      body,
      duplex: "half",
      headers: { "content-length": "999999" },
    } as RequestInit);
    await expect(readBody(upload, 1024)).rejects.toMatchObject({ status: 413 });
    expect(stats.pulled).toBeLessThanOrEqual(16 * 1024);
  });

  it("when the body fits, then every byte arrives in order", async () => {
    const chunks = ['{"a":', '"✓"}'];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        controller.close();
      },
    });
    const upload = new Request("http://localhost/x", {
      method: "POST",
      body,
      duplex: "half",
      headers: { "content-type": "application/json" },
    } as RequestInit);
    expect(await readJson(upload)).toEqual({ a: "✓" });
  });
});

describe("assertSameOrigin", () => {
  const post = (headers: Record<string, string>) => new Request("http://internal:8080/api/x", { method: "POST", headers });
  const app = "https://chat.example.com";

  it("when Origin is APP_URL's origin, then it passes whatever Host and X-Forwarded-Host say", () => {
    expect(() => assertSameOrigin(post({ origin: app, host: "internal:8080", "x-forwarded-host": "other.example" }), app)).not.toThrow();
  });

  it("when Origin is another site, then 403 even if Host or X-Forwarded-Host name that site", () => {
    for (const headers of <Record<string, string>[]>[
      { origin: "https://evil.example", host: "evil.example" },
      { origin: "https://evil.example", "x-forwarded-host": "evil.example" },
      { origin: "http://chat.example.com" },
      { origin: "null" },
    ]) {
      expect(() => assertSameOrigin(post(headers), app)).toThrow(expect.objectContaining({ status: 403, code: "forbidden_origin" }));
    }
  });

  it("when APP_URL is on loopback, then another loopback name on the same port is this site, another port is not", () => {
    expect(() => assertSameOrigin(post({ origin: "http://127.0.0.1:3000" }), "http://localhost:3000")).not.toThrow();
    expect(() => assertSameOrigin(post({ origin: "http://127.0.0.1:3001" }), "http://localhost:3000")).toThrow();
    expect(() => assertSameOrigin(post({ origin: "http://localhost:3000" }), "https://chat.example.com")).toThrow();
  });
});
