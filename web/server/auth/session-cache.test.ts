import { describe, expect, it } from "vitest";
import { createSessionCache, type CachedSession } from "./session-cache";

const session = (overrides: Partial<CachedSession> = {}): CachedSession => ({
  id: "user-1",
  email: "ann@example.com",
  sessionId: "session-1",
  expiresAt: 1_000_000,
  ...overrides,
});

function clock(start = 0) {
  let at = start;
  return { now: () => at, advance: (ms: number) => (at += ms) };
}

describe("session cache", () => {
  it("when a session was looked up, then it is served from memory until the TTL passes", () => {
    const time = clock();
    const cache = createSessionCache({ ttlMs: 5_000, now: time.now });
    cache.set("hash", session());
    time.advance(4_999);
    expect(cache.get("hash")).toEqual(session());
    time.advance(1);
    expect(cache.get("hash")).toBeUndefined();
  });

  it("when the session itself expires before the TTL, then the entry ends with it", () => {
    const time = clock(10_000);
    const cache = createSessionCache({ ttlMs: 5_000, now: time.now });
    cache.set("hash", session({ expiresAt: 12_000 }));
    time.advance(2_000);
    expect(cache.get("hash")).toBeUndefined();
  });

  it("when a session is revoked, then it is gone at once, and a lookup still in flight cannot put it back within the TTL", () => {
    const time = clock();
    const cache = createSessionCache({ ttlMs: 5_000, now: time.now });
    cache.set("hash", session());
    cache.revoke("hash");
    expect(cache.get("hash")).toBeUndefined();
    cache.set("hash", session());
    expect(cache.get("hash")).toBeUndefined();
    time.advance(5_000);
    cache.set("hash", session());
    expect(cache.get("hash")).toEqual(session());
  });

  it("when more sessions arrive than it keeps, then the oldest go first", () => {
    const cache = createSessionCache({ maxEntries: 2, now: () => 0 });
    for (const hash of ["a", "b", "c"]) cache.set(hash, session({ sessionId: hash }));
    expect(cache.get("a")).toBeUndefined();
    expect(cache.get("b")?.sessionId).toBe("b");
    expect(cache.get("c")?.sessionId).toBe("c");
  });
});
