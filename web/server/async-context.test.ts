import { AsyncLocalStorage } from "node:async_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import { captureContext } from "@/server/async-context";
import { createDefer } from "@/server/context";
import { createRateLimits } from "@/server/rate-limit";
import { everyRateLimit } from "@/test/support/rate-limits";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** What a request's async context holds (Next.js: its stores, and through them the request and response). */
interface RequestStore {
  request: { body: Uint8Array };
}
const requestStorage = new AsyncLocalStorage<RequestStore>();

/** Runs `fn` as if inside a request; returns a weak reference to the request's store. */
async function inRequest(fn: () => Promise<void> | void): Promise<WeakRef<RequestStore>> {
  const store: RequestStore = { request: { body: new Uint8Array(1024) } };
  const ref = new WeakRef(store);
  await requestStorage.run(store, async () => {
    await fn();
  });
  return ref;
}

/** True when nothing keeps the referent alive any more (a few collections, a turn of the event loop between them). */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let attempt = 0; attempt < 5 && ref.deref() !== undefined; attempt++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  return ref.deref() === undefined;
}

const rules = everyRateLimit({ points: 5, durationSeconds: 60 });

const timers: ReturnType<typeof setTimeout>[] = [];
afterEach(() => {
  for (const timer of timers.splice(0)) clearTimeout(timer);
});

describe("work that outlives a request", () => {
  it("when a request leaves a timer behind, then the request stays alive until it fires (the check below can see it)", async () => {
    const ref = await inRequest(() => {
      timers.push(setTimeout(() => {}, 60_000));
    });
    expect(await collected(ref)).toBe(false);
  });

  it("when a request spends a rate limit, then its window's timer does not keep the request alive", async () => {
    const limits = createRateLimits(rules);
    const ref = await inRequest(() => limits.consume("sendPerUser", "user-1"));
    expect(await collected(ref)).toBe(true);
    // The window itself is still there: the next four pass and the sixth is refused.
    for (let spent = 2; spent <= 5; spent++) await limits.consume("sendPerUser", "user-1");
    await expect(limits.consume("sendPerUser", "user-1")).rejects.toMatchObject({ status: 429, code: "rate_limited" });
  });

  it("when a request defers work, then the work runs outside the request's context and does not keep it alive", async () => {
    const defer = createDefer(captureContext());
    let seen: RequestStore | undefined | "not run" = "not run";
    const ref = await inRequest(() => {
      defer(async () => {
        seen = requestStorage.getStore();
        timers.push(setTimeout(() => {}, 60_000));
      });
    });
    expect(seen).toBeUndefined();
    expect(await collected(ref)).toBe(true);
  });
});
