import type { RateLimitRule, RateLimitRules } from "@/server/rate-limit";

/** Every named limit set to `rule`, then `overrides` (a test about one limit leaves the others roomy). */
export function everyRateLimit(rule: RateLimitRule, overrides: Partial<RateLimitRules> = {}): RateLimitRules {
  return {
    loginPerEmail: rule,
    loginPerIp: rule,
    sendPerUser: rule,
    usersSearch: rule,
    attachmentUploads: rule,
    messageActions: rule,
    messageSearch: rule,
    ...overrides,
  };
}
