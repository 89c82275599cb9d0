import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getServices } from "@/server/context";
import { startTestApp } from "./support/app-env";
import { call, signIn } from "./support/routes";

// The production defaults: one magic link per address per minute, 60 sends per 10 s.
let app: Awaited<ReturnType<typeof startTestApp>>;
beforeAll(async () => {
  app = await startTestApp({ productionLimits: true });
});
afterAll(() => app.stop());

const messageCount = async () => {
  const { local } = await getServices();
  const [row] = await local!.db.query<{ n: number }>("select count(*)::int as n from public.messages");
  return row!.n;
};

describe("rate limits", () => {
  it("when a second link is asked for the same address within a minute, then 429 with Retry-After and no mail", async () => {
    const first = await call("POST", "/api/auth/login", { json: { email: "limit@example.com" } });
    expect(first.status).toBe(200);
    const second = await call("POST", "/api/auth/login", { json: { email: "LIMIT@example.com" } });
    expect([second.status, second.body.error.code]).toEqual([429, "rate_limited"]);
    const retryAfter = Number(second.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const mail = await call("GET", "/api/dev/mailbox?email=limit@example.com");
    expect(mail.body.data).toHaveLength(1);
  });

  it("when one IP asks for links for many addresses, then it is stopped after its budget, whatever X-Forwarded-For it claims", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) {
      const res = await call("POST", "/api/auth/login", {
        json: { email: `spray${i}@example.com` },
        // A client-supplied header counts for nothing without TRUST_PROXY_HOPS: the TCP peer decides.
        headers: { "x-forwarded-for": `198.51.100.${i}` },
        peer: "192.0.2.99",
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    // Another client is not affected.
    const other = await call("POST", "/api/auth/login", { json: { email: "other-ip@example.com" }, peer: "192.0.2.100" });
    expect(other.status).toBe(200);
  });

  it("when requests carry no usable address, then they share one bucket instead of skipping the limit", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const res = await call("POST", "/api/auth/login", {
        json: { email: `no-ip${i}@example.com` },
        // Not stamped by this process (forged or missing): no address.
        headers: { "x-chat-peer-address": i % 2 ? "forged 192.0.2.1" : "", "x-forwarded-for": `203.0.113.${i}` },
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(statuses[20]).toBe(429);
  });

  it("when a user sends faster than the budget, then 429 and the extra messages are not stored", async () => {
    const sender = await signIn("fast@example.com");
    const peer = await signIn("peer@example.com");
    const before = await messageCount();
    const results = [];
    for (let i = 0; i < 62; i++) {
      results.push(
        await call("POST", "/api/chat/send", {
          cookie: sender.cookie,
          json: { recipientId: peer.userId, content: `m${i}`, clientId: randomUUID() },
        }),
      );
    }
    expect(results.filter((r) => r.status === 201)).toHaveLength(60);
    const limited = results.filter((r) => r.status === 429);
    expect(limited).toHaveLength(2);
    expect(limited[0]!.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await messageCount()) - before).toBe(60);

    // Over the limit, a retry of a message that was stored still gets its answer (and stores nothing).
    const stored = results[0]!.body.data;
    const retry = await call("POST", "/api/chat/send", {
      cookie: sender.cookie,
      json: { recipientId: peer.userId, content: stored.content, clientId: stored.clientId },
    });
    expect([retry.status, retry.body]).toEqual([200, { data: stored }]);
    expect((await messageCount()) - before).toBe(60);
  });

  it("when a user searches the directory more than 30 times a minute, then 429 with Retry-After", async () => {
    const searcher = await signIn("searcher@example.com");
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 31; i++) {
      const res = await call("GET", `/api/users?q=someone${i}@example.com`, { cookie: searcher.cookie });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(statuses[30]).toBe(429);
    expect(limited!.body.error.code).toBe("rate_limited");
    const retryAfter = Number(limited!.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });
});

describe("cross-site requests", () => {
  it("when a POST comes from another origin, then 403 and nothing changes", async () => {
    const alice = await signIn("csrf-alice@example.com");
    const bob = await signIn("csrf-bob@example.com");
    const before = await messageCount();
    for (const headers of <Record<string, string>[]>[
      { origin: "https://evil.example" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
      { origin: "http://localhost:3000.evil.example" },
      { origin: "https://localhost:3000" },
      { origin: "http://localhost:3001" },
      // The check compares with APP_URL, never with Host or X-Forwarded-Host (a client sets those).
      { origin: "https://evil.example", host: "evil.example" },
      { origin: "https://evil.example", "x-forwarded-host": "evil.example" },
    ]) {
      const res = await call("POST", "/api/chat/send", {
        cookie: alice.cookie,
        headers,
        json: { recipientId: bob.userId, content: "forged", clientId: randomUUID() },
      });
      expect([res.status, res.body.error.code]).toEqual([403, "forbidden_origin"]);
    }
    expect(await messageCount()).toBe(before);
    const logout = await call("POST", "/api/auth/logout", { cookie: alice.cookie, headers: { origin: "https://evil.example" } });
    expect(logout.status).toBe(403);
    expect((await call("GET", "/api/auth/session", { cookie: alice.cookie })).status).toBe(200);
  });

  it("when a POST comes from APP_URL's origin, then it is accepted whatever Host says", async () => {
    for (const [i, headers] of (<Record<string, string>[]>[
      { origin: "http://localhost:3000", "sec-fetch-site": "same-origin" },
      // Behind a proxy that rewrites Host: still this site.
      { origin: "http://localhost:3000", host: "internal:8080", "x-forwarded-host": "internal:8080" },
      // A developer on 127.0.0.1 while APP_URL says localhost: the same machine and port.
      { origin: "http://127.0.0.1:3000" },
    ]).entries()) {
      const res = await call("POST", "/api/auth/login", { json: { email: `same-site-${i}@example.com` }, headers });
      expect(res.status).toBe(200);
    }
  });

  it("when the confirm form is posted cross-site, then it is refused and the token stays unused", async () => {
    await call("POST", "/api/auth/login", { json: { email: "confirm-csrf@example.com" } });
    const mail = await call("GET", "/api/dev/mailbox?email=confirm-csrf@example.com");
    const link = new URL(mail.body.data[0].link);
    const form = { token_hash: link.searchParams.get("token_hash")!, type: "magiclink", next: "/chat" };
    const forged = await call("POST", "/auth/confirm", {
      form,
      headers: { origin: "https://evil.example", "x-forwarded-host": "evil.example" },
    });
    expect(forged.status).toBe(403);
    expect(forged.headers.get("set-cookie")).toBeNull();
    expect((await call("POST", "/auth/confirm", { form })).status).toBe(303);
  });
});
