/**
 * Signed-out sessions, kept so that their still-valid access tokens open no new socket.
 * Fed by `session.revoked` pushes, checked at every handshake. Memory for one instance,
 * Redis (see redis.ts) so that every instance refuses them.
 */
export interface RevocationStore {
  /** Records a sign-out: one session, or (`sessionId` null) every token of the user issued until now. */
  revoke(revoked: { userId: string; sessionId: string | null }): Promise<void>;
  /** True when the token's session was signed out, or its user signed out everywhere after it was issued. */
  isRevoked(token: { userId: string; sessionId: string | null; issuedAt: number | null }): Promise<boolean>;
}

/**
 * How long a revocation is kept: longer than any access token lives (the embedded issuer's
 * 15 minutes, Supabase's default 1 hour). Tokens that live longer (a Supabase project's JWT
 * expiry above a day) could reconnect after this.
 */
export const REVOCATION_TTL_MS = 24 * 60 * 60 * 1000;
const DEFAULT_MAX_ENTRIES = 100_000;

export const sessionKey = (sessionId: string) => `s:${sessionId}`;
export const userKey = (userId: string) => `u:${userId}`;

/** Was `token` revoked, given the stored session entry and the user-wide cut-off (epoch seconds)? */
export function revokedBy(token: { issuedAt: number | null }, sessionRevoked: boolean, userRevokedAtSeconds: number | null): boolean {
  if (sessionRevoked) return true;
  if (userRevokedAtSeconds === null) return false;
  // A token without iat cannot prove it came after the cut-off.
  return token.issuedAt === null || token.issuedAt <= userRevokedAtSeconds;
}

export interface MemoryRevocationStore extends RevocationStore {
  /** The synchronous read the Redis store falls back on while Redis is away. */
  lookup(token: { userId: string; sessionId: string | null; issuedAt: number | null }): boolean;
}

/** In memory: every entry lives `ttlMs`, at most `maxEntries` (oldest dropped first). */
export function createMemoryRevocationStore({
  ttlMs = REVOCATION_TTL_MS,
  maxEntries = DEFAULT_MAX_ENTRIES,
  now = Date.now,
}: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}): MemoryRevocationStore {
  // key → [expiresAt, revokedAtSeconds]; one TTL for all, so insertion order is expiry order.
  const entries = new Map<string, [number, number]>();

  const prune = (time: number) => {
    for (const [key, [expiresAt]] of entries) {
      if (expiresAt > time) break;
      entries.delete(key);
    }
  };
  const get = (key: string, time: number) => {
    const entry = entries.get(key);
    return entry && entry[0] > time ? entry[1] : null;
  };

  const lookup: MemoryRevocationStore["lookup"] = (token) => {
    const time = now();
    const session = token.sessionId === null ? null : get(sessionKey(token.sessionId), time);
    return revokedBy(token, session !== null, get(userKey(token.userId), time));
  };

  return {
    async revoke({ userId, sessionId }) {
      const time = now();
      prune(time);
      const key = sessionId === null ? userKey(userId) : sessionKey(sessionId);
      entries.delete(key); // re-inserted at the end: the newest expiry
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, [time + ttlMs, Math.floor(time / 1000)]);
    },
    async isRevoked(token) {
      return lookup(token);
    },
    lookup,
  };
}
