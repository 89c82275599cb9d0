import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { createClient } from "redis";
import { captureContext } from "@/server/async-context";
import { DomainError } from "@/server/errors";

/** A named budget: `points` actions per `durationSeconds`, per key. */
export interface RateLimitRule {
  points: number;
  durationSeconds: number;
}

export interface RateLimitRules {
  loginPerEmail: RateLimitRule;
  loginPerIp: RateLimitRule;
  sendPerUser: RateLimitRule;
  usersSearch: RateLimitRule;
  /** New upload targets per user (POST /api/chat/attachments). */
  attachmentUploads: RateLimitRule;
  /** Edits, deletions and reactions per user (each one is a change every member is pushed). */
  messageActions: RateLimitRule;
  /** Message searches per user (GET /api/chat/search: full-text queries). */
  messageSearch: RateLimitRule;
}

export type RateLimitName = keyof RateLimitRules;

/** Spends one point of `name` for `key`, or throws 429 with Retry-After. */
export interface RateLimits {
  consume(name: RateLimitName, key: string): Promise<void>;
}

type RedisClient = ReturnType<typeof createClient>;

/**
 * Rate limits with rate-limiter-flexible: in memory by default, in Redis when a client is
 * given, so that limits hold across every web process.
 */
export function createRateLimits(rules: RateLimitRules, redis?: RedisClient): RateLimits {
  const limiters = Object.fromEntries(
    (Object.keys(rules) as RateLimitName[]).map((name) => {
      const options = { keyPrefix: `chat:rl:${name}`, points: rules[name].points, duration: rules[name].durationSeconds };
      const limiter: RateLimiterAbstract = redis
        ? new RateLimiterRedis({ ...options, storeClient: redis, useRedisPackage: true, insuranceLimiter: new RateLimiterMemory(options) })
        : new RateLimiterMemory(options);
      return [name, limiter];
    }),
  ) as Record<RateLimitName, RateLimiterAbstract>;
  // The in-memory limiter's window timers are made in this context, not the request's.
  const outsideRequest = captureContext();

  return {
    async consume(name, key) {
      try {
        await outsideRequest(() => limiters[name].consume(key));
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        const retryAfter = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
        throw new DomainError(429, "rate_limited", `Too many requests. Try again in ${retryAfter} s.`, undefined, {
          "retry-after": String(retryAfter),
        });
      }
    },
  };
}

/** No limits (tests that are not about limits). */
export const unlimited: RateLimits = { consume: async () => {} };
