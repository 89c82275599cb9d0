import "server-only";
import { timingSafeEqual } from "node:crypto";

/** True when the request carries `Authorization: Bearer <CRON_SECRET>`; always false while the secret is unset. */
export function isCronRequest(request: Request, cronSecret: string | undefined): boolean {
  if (!cronSecret) return false;
  const given = Buffer.from(request.headers.get("authorization") ?? "");
  const expected = Buffer.from(`Bearer ${cronSecret}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
