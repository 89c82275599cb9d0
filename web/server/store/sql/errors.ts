import { DomainError } from "@/server/errors";

/** A database error as `pg`/PGlite (`detail`) or PostgREST (`details`) report it. */
export interface SqlFailure {
  code?: string;
  message?: string;
  detail?: string | null;
  details?: string | null;
  hint?: string | null;
}

/**
 * The errors the schema's functions raise on purpose (supabase/migrations/…_privacy_and_rules.sql):
 * SQLSTATE `PT<status>`, the API's error code in HINT, extra data in DETAIL (the invalid field
 * for 422, the Retry-After seconds for 429). The same translation for every store, so a rule
 * enforced in SQL answers exactly like the zod schema or the app's rate limiter would.
 * Null for any other error.
 */
export function toDomainError(error: unknown): DomainError | null {
  if (typeof error !== "object" || error === null) return null;
  const { code, message = "", hint } = error as SqlFailure;
  const detail = (error as SqlFailure).detail ?? (error as SqlFailure).details ?? undefined;
  const status = /^PT4\d\d$/.test(code ?? "") ? Number(code!.slice(2)) : 0;
  if (!status || !hint || !/^[a-z_]+$/.test(hint)) return null;
  if (status === 422) {
    const path = detail ?? "";
    return new DomainError(422, hint, path ? `${path}: ${message}` : message, [{ path, message }]);
  }
  if (status === 429) {
    const retryAfter = /^\d+$/.test(detail ?? "") ? detail! : "1";
    return new DomainError(429, hint, message, undefined, { "retry-after": retryAfter });
  }
  return new DomainError(status, hint, message);
}
