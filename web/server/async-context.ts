import "server-only";
import { AsyncLocalStorage } from "node:async_hooks";

/** Runs `fn` in a captured async context and returns what it returns. */
export type RunInContext = <T>(fn: () => T) => T;

/**
 * The async context this is called in, to run later work in: call it while the services are
 * built, which `instrumentation-node.ts` does at start-up, before any request.
 *
 * IMPORTANT: a timer, promise or stream made while Next.js handles a request carries the request's
 * AsyncLocalStorage stores, and through them the request and its response, for as long as it
 * lives. Work that outlives a request must not be made in its context: rate-limit windows
 * (rate-limiter-flexible keeps a timer per key for the whole window: 10 s for sends, 60 s for
 * sign-ins) and the pushes after the response. With a send's window timer made in the request,
 * a heap snapshot at 100 sends/s held ~700 finished requests (now ~10), and the heap after a full
 * collection was ~20 MB larger (README, Performance).
 */
export const captureContext = (): RunInContext => AsyncLocalStorage.snapshot();
