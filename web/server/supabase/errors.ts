import { isAuthApiError, isAuthError, isAuthRetryableFetchError, type AuthError } from "@supabase/supabase-js";
import { DomainError } from "@/server/errors";

const RETRY_AFTER_SECONDS = "60";

/** Supabase Auth failures in our error shape: its rate limit is 429, an outage 503. */
export function mapAuthError(error: AuthError | Error): DomainError {
  if (isAuthApiError(error)) {
    if (error.status === 429) {
      return new DomainError(429, "rate_limited", "Too many sign-in requests. Wait a minute and try again.", undefined, {
        "retry-after": RETRY_AFTER_SECONDS,
      });
    }
    if (error.code === "otp_expired" || error.status === 403) {
      return new DomainError(403, "otp_expired", "This sign-in link has expired or has already been used.");
    }
    if (error.code === "email_address_invalid" || error.code === "validation_failed") {
      return new DomainError(400, "invalid_email", "Enter a valid email address.");
    }
    if (error.status >= 500) return new DomainError(503, "auth_unavailable", "Sign-in is unavailable right now. Try again shortly.");
    return new DomainError(400, error.code ?? "auth_error", error.message);
  }
  if (isAuthError(error) && error.name === "AuthPKCECodeVerifierMissingError") {
    return new DomainError(
      400,
      "pkce_verifier_missing",
      "This sign-in link was opened in a different browser than the one that asked for it. Ask for a new link here.",
    );
  }
  if (isAuthRetryableFetchError(error) || !isAuthError(error)) {
    return new DomainError(503, "auth_unavailable", "Sign-in is unavailable right now. Try again shortly.");
  }
  return new DomainError(400, "auth_error", error.message);
}

interface PostgrestFailure {
  code?: string;
  message?: string;
}

/** PostgREST failures: an unreachable or failing API is 503, the rest is a bug worth a 500. */
export function mapPostgrestError(error: PostgrestFailure, status: number): Error {
  // PGRST301/PGRST303: the JWT expired or was refused between our check and the query.
  if (status === 401) return new DomainError(401, "unauthorized", "Your session has expired. Sign in again.");
  if (status === 0 || status >= 500 || !error.code) {
    return new DomainError(503, "database_unavailable", "The database is unavailable right now. Try again shortly.");
  }
  return Object.assign(new Error(`PostgREST error ${error.code}: ${error.message ?? ""}`), { code: error.code });
}
