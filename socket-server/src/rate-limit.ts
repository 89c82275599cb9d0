import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import type { ChatSocket } from "./types.js";

/**
 * Client→server events each user may send, all their sockets together (on every instance when
 * the limiter lives in Redis): 20 per 10 s. A page sends `typing:start` at most every 2 s
 * while typing, `typing:stop`, and `presence:subscribe` on (re)connect and when its
 * conversation list changes: well within it, even with a few tabs open.
 */
export const SOCKET_EVENT_LIMIT = { points: 20, duration: 10 } as const;

/** The in-process limiter: the default, and the Redis limiter's fallback while Redis is down. */
export function createMemoryRateLimiter(): RateLimiterMemory {
  return new RateLimiterMemory({ ...SOCKET_EVENT_LIMIT, keyPrefix: "socket-events" });
}

/**
 * `socket.use` middleware: one point per client→server event, keyed by user id (so opening
 * more sockets buys no more events). Over the limit the event is dropped and the socket that
 * sent it gets `error:rate_limited`.
 */
export function limitSocketEvents(
  socket: ChatSocket,
  { limiter, metrics, logger }: { limiter: RateLimiterAbstract; metrics: Metrics; logger: Logger },
) {
  return ([event]: [string, ...unknown[]], next: (error?: Error) => void): void => {
    limiter.consume(socket.data.userId).then(
      () => next(),
      (rejection: unknown) => {
        if (rejection instanceof RateLimiterRes) {
          metrics.eventsRateLimited.inc();
          socket.emit("error:rate_limited", { event, retryAfterMs: Math.max(0, Math.ceil(rejection.msBeforeNext)) });
          return;
        }
        // The store failed (not a verdict): let the event through rather than break the app.
        logger.warn("rate limiter failed", { error: rejection instanceof Error ? rejection.message : String(rejection) });
        next();
      },
    );
  };
}
