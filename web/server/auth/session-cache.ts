import type { AuthUser } from "@/lib/types";

/** A signed-in session as the embedded issuer looks it up. */
export interface CachedSession extends AuthUser {
  sessionId: string;
  /** When the session itself expires (ms since the epoch): a cached entry never outlives it. */
  expiresAt: number;
}

export interface SessionCache {
  get(tokenHash: string): CachedSession | undefined;
  set(tokenHash: string, session: CachedSession): void;
  /** Forgets a session (sign-out in this process); a lookup already in flight cannot put it back. */
  revoke(tokenHash: string): void;
}

export interface SessionCacheOptions {
  /**
   * How long a looked-up session is trusted without asking the database again. IMPORTANT: this
   * bounds how long a sign-out in ANOTHER process (or a revocation written straight into the
   * database) keeps working here; a sign-out in this process takes effect at once.
   */
  ttlMs?: number;
  /** Entries kept at most (the oldest go first); only found sessions are kept, never misses. */
  maxEntries?: number;
  now?: () => number;
}

export const SESSION_CACHE_TTL_MS = 5_000;

/**
 * The session lookup that every request makes, kept in memory for a few seconds, keyed by the
 * token's hash (never the token). Per process: several web processes each keep their own.
 */
export function createSessionCache({
  ttlMs = SESSION_CACHE_TTL_MS,
  maxEntries = 10_000,
  now = Date.now,
}: SessionCacheOptions = {}): SessionCache {
  const entries = new Map<string, { session: CachedSession; until: number }>();
  // Sign-outs of the last ttlMs: a lookup that read the row before the sign-out committed must not cache it.
  const revoked = new Map<string, number>();
  const prune = (map: Map<string, unknown>) => {
    while (map.size > maxEntries) map.delete(map.keys().next().value!);
  };
  return {
    get(tokenHash) {
      const entry = entries.get(tokenHash);
      if (!entry) return undefined;
      const at = now();
      if (entry.until <= at || entry.session.expiresAt <= at) {
        entries.delete(tokenHash);
        return undefined;
      }
      return entry.session;
    },
    set(tokenHash, session) {
      const at = now();
      const revokedAt = revoked.get(tokenHash);
      if (revokedAt !== undefined) {
        if (at - revokedAt < ttlMs) return;
        revoked.delete(tokenHash);
      }
      entries.delete(tokenHash);
      entries.set(tokenHash, { session, until: at + ttlMs });
      prune(entries);
    },
    revoke(tokenHash) {
      entries.delete(tokenHash);
      revoked.delete(tokenHash);
      revoked.set(tokenHash, now());
      prune(revoked);
    },
  };
}
