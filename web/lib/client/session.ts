import type { SessionInfo } from "@/lib/types";
import { apiFetch, isUnauthorized } from "./api";

/** The session cookie is gone or no longer valid: the user must sign in again. */
export class SessionEndedError extends Error {
  constructor() {
    super("Your session has ended.");
    this.name = "SessionEndedError";
  }
}

export interface TokenSource {
  /** A usable access token: the cached one, or a fresh one once it is close to expiry. */
  getToken(): Promise<string>;
  /** The peers ticket that came with the current token (for the socket handshake), if any. */
  peersTicket?(): string | undefined;
  /** Forgets the cached token (the socket server refused it), so the next getToken fetches anew. */
  invalidate(): void;
  /** Stops the background refresh. */
  dispose(): void;
}

// Never cache a token for less than this, so a skewed clock cannot cause a fetch loop.
const MIN_LIFETIME_MS = 15_000;
// Refresh this long before expiry (or at 75% of a shorter lifetime).
const REFRESH_MARGIN_MS = 60_000;

/**
 * Keeps a short-lived socket access token fresh: fetched from `GET /api/auth/session`,
 * refreshed in the background before it expires, and shared by concurrent callers.
 */
export function createTokenSource(fetchSession: () => Promise<SessionInfo> = fetchSessionInfo): TokenSource {
  let cached: { token: string; refreshAt: number } | null = null;
  let ticket: string | undefined;
  let inflight: Promise<string> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;

  function refresh(): Promise<string> {
    inflight ??= fetchSession()
      .then((session) => {
        const lifetime = Math.max(MIN_LIFETIME_MS, Date.parse(session.expiresAt) - Date.now() || 0);
        const refreshIn = lifetime - Math.min(REFRESH_MARGIN_MS, lifetime * 0.25);
        cached = { token: session.accessToken, refreshAt: Date.now() + refreshIn };
        ticket = session.peersTicket;
        clearTimeout(timer);
        // Refreshing ahead means a reconnect after the server drops an expiring socket needs no round trip.
        if (!disposed) timer = setTimeout(() => void refresh().catch(() => {}), refreshIn);
        return session.accessToken;
      })
      .finally(() => {
        inflight = null;
      });
    return inflight;
  }

  return {
    getToken() {
      if (cached && Date.now() < cached.refreshAt) return Promise.resolve(cached.token);
      return refresh();
    },
    peersTicket: () => ticket,
    invalidate() {
      cached = null;
    },
    dispose() {
      disposed = true;
      clearTimeout(timer);
    },
  };
}

async function fetchSessionInfo(): Promise<SessionInfo> {
  try {
    return await apiFetch<SessionInfo>("/api/auth/session");
  } catch (error) {
    if (isUnauthorized(error)) throw new SessionEndedError();
    throw error;
  }
}
