import { describe, expect, it } from "vitest";
import { createMemorySeenIdStore } from "../src/webhook.js";

describe("createMemorySeenIdStore", () => {
  it("when an id is marked twice within the TTL, then the second mark reports it as seen", async () => {
    const store = createMemorySeenIdStore();

    expect(await store.markSeen("a")).toBe(true);
    expect(await store.markSeen("a")).toBe(false);
  });

  it("when the TTL has passed, then the id is new again", async () => {
    let time = 0;
    const store = createMemorySeenIdStore({ ttlMs: 1000, now: () => time });
    await store.markSeen("a");

    time = 999;
    expect(await store.markSeen("a")).toBe(false);
    time = 1000;
    expect(await store.markSeen("a")).toBe(true);
  });

  it("when the store is full, then the oldest id is evicted first", async () => {
    const store = createMemorySeenIdStore({ maxSize: 2 });
    await store.markSeen("a");
    await store.markSeen("b");
    await store.markSeen("c");

    expect(await store.markSeen("b")).toBe(false);
    expect(await store.markSeen("a")).toBe(true);
  });
});
