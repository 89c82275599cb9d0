import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from "jose";
import { z } from "zod";
import type { ConnectErrorCode } from "./contract/index.js";
import type { Logger } from "./logger.js";
import { InvalidPeersTicketError, verifyPeersTicket, type PeersTicketClaims } from "./peers.js";
import type { RevocationStore } from "./revocations.js";
import type { ChatServer, ChatSocket } from "./types.js";

/** What the socket server needs to know about a verified access token. */
export interface AccessToken {
  userId: string;
  /** The `session_id` claim (Supabase and the embedded issuer both set it); null when absent. */
  sessionId: string | null;
  /** Empty when the token carries no email (e.g. phone sign-in). */
  email: string;
  expiresAt: Date;
  /** The `iat` claim (epoch seconds); null when absent. */
  issuedAt: number | null;
}

/**
 * Verifies a browser's access token. One adapter per auth backend: HS256 today;
 * a Supabase JWKS (asymmetric keys) adapter can sit next to it later.
 */
export interface AccessTokenVerifier {
  /** @throws UnauthorizedError for any token that must not connect. */
  verifyAccessToken(token: string): Promise<AccessToken>;
}

export class UnauthorizedError extends Error {
  readonly code = "unauthorized";
  readonly status = 401;

  /** @param reason why, for logs only: never sent to the client. */
  constructor(readonly reason: string) {
    super("unauthorized");
    this.name = "UnauthorizedError";
  }
}

// Supabase access-token claims we rely on. `sub` accepts any 8-4-4-4-12 hex id,
// the same set Postgres' uuid type accepts.
const claimsSchema = z.object({
  sub: z.guid(),
  role: z.literal("authenticated"),
  exp: z.number(),
  iat: z.number().optional(),
  email: z.string().optional(),
  session_id: z.string().max(200).optional(),
});

function toAccessToken(payload: JWTPayload): AccessToken {
  // role must be "authenticated": anon and service_role tokens never connect.
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw new UnauthorizedError("invalid_claims");
  return {
    userId: claims.data.sub,
    sessionId: claims.data.session_id ?? null,
    email: claims.data.email ?? "",
    expiresAt: new Date(claims.data.exp * 1000),
    issuedAt: claims.data.iat ?? null,
  };
}

async function verifyWith(verify: () => Promise<{ payload: JWTPayload }>): Promise<AccessToken> {
  let payload: JWTPayload;
  try {
    ({ payload } = await verify());
  } catch (error) {
    throw new UnauthorizedError(error instanceof errors.JOSEError ? error.code : "invalid_token");
  }
  return toAccessToken(payload);
}

// IMPORTANT: pin the algorithms; `exp` must be present, not just valid when present.
const COMMON_CHECKS = { audience: "authenticated", requiredClaims: ["exp", "sub"] };

/** Verifies tokens signed with the shared HS256 secret (the web app's, or Supabase's legacy JWT secret). */
export function createHs256Verifier(secret: string): AccessTokenVerifier {
  const key = new TextEncoder().encode(secret);
  return {
    verifyAccessToken: (token) => verifyWith(() => jwtVerify(token, key, { ...COMMON_CHECKS, algorithms: ["HS256"] })),
  };
}

/** Asymmetric algorithms Supabase signs with; HS256 and `none` are never taken from a JWKS. */
const JWKS_ALGORITHMS = ["ES256", "RS256", "EdDSA"];

/**
 * Verifies Supabase access tokens by the project's JWKS (`<SUPABASE_URL>/auth/v1/.well-known/jwks.json`).
 * jose caches the keys and refetches when a token names an unknown `kid` (key rotation),
 * at most once per cooldown.
 */
export function createJwksVerifier(
  jwksUrl: URL,
  { issuer, cooldownMs = 30_000 }: { issuer?: string; cooldownMs?: number } = {},
): AccessTokenVerifier {
  // The cooldown stops tokens with made-up kids from making us refetch on every connect.
  const keys = createRemoteJWKSet(jwksUrl, { cacheMaxAge: 10 * 60_000, cooldownDuration: cooldownMs, timeoutDuration: 5_000 });
  return {
    verifyAccessToken: (token) =>
      verifyWith(() => jwtVerify(token, keys, { ...COMMON_CHECKS, algorithms: JWKS_ALGORITHMS, ...(issuer && { issuer }) })),
  };
}

/** Supabase mode: JWKS for asymmetric tokens, plus the legacy HS256 secret for projects still on it. */
export function createSupabaseVerifier(
  supabaseUrl: string,
  legacySecret?: string,
  { jwksCooldownMs }: { jwksCooldownMs?: number } = {},
): AccessTokenVerifier {
  const base = supabaseUrl.replace(/\/+$/, "");
  const jwks = createJwksVerifier(new URL(`${base}/auth/v1/.well-known/jwks.json`), {
    issuer: `${base}/auth/v1`,
    cooldownMs: jwksCooldownMs,
  });
  const legacy = legacySecret ? createHs256Verifier(legacySecret) : undefined;
  return {
    async verifyAccessToken(token) {
      let alg: unknown;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        throw new UnauthorizedError("malformed_token");
      }
      if (alg === "HS256") {
        if (!legacy) throw new UnauthorizedError("hs256_without_legacy_secret");
        return legacy.verifyAccessToken(token);
      }
      return jwks.verifyAccessToken(token);
    },
  };
}

/** The room every socket of one user joins; pushes are emitted to it. */
export function userRoom(userId: string): `user:${string}` {
  return `user:${userId}`;
}

/**
 * The room of a group's members' sockets: only for ephemeral group typing. Joined at the
 * handshake (the peers ticket's `conversations`) and by `conversation.updated` pushes.
 */
export function conversationRoom(conversationId: string): `conv:${string}` {
  return `conv:${conversationId}`;
}

export interface HandshakeDeps {
  verifier: AccessTokenVerifier;
  revocations: RevocationStore;
  /** Keys that verify peers tickets (one per configured webhook secret: rotation). */
  peersTicketKeys: readonly Uint8Array[];
  logger: Logger;
}

/** The `connect_error` a refused handshake gets: `message` and `data.code` are the same code. */
export function refusal(code: ConnectErrorCode): Error {
  return Object.assign(new Error(code), { data: { code } });
}

/**
 * Socket.IO middleware: refuses the connection with `connect_error` message "unauthorized"
 * unless `auth.token` verifies, its session is not signed out (on any instance, through the
 * revocation store) and `auth.peersTicket`, when given, verifies for the same user. A missing
 * ticket connects with no peers (they are then learned from message pushes only).
 */
export function authenticateSocket({ verifier, revocations, peersTicketKeys, logger }: HandshakeDeps) {
  return async (socket: ChatSocket, next: (error?: Error) => void): Promise<void> => {
    const auth = socket.handshake.auth as Record<string, unknown> | undefined;
    const token = auth?.token;
    const ticket = auth?.peersTicket;
    try {
      if (typeof token !== "string" || token === "") throw new UnauthorizedError("missing_token");
      const verified = await verifier.verifyAccessToken(token);
      if (await revocations.isRevoked(verified)) throw new UnauthorizedError("session_revoked");
      let claims: PeersTicketClaims = { peers: [], conversations: [] };
      if (ticket !== undefined) {
        if (typeof ticket !== "string") throw new UnauthorizedError("invalid_peers_ticket");
        try {
          claims = await verifyPeersTicket(peersTicketKeys, ticket, verified.userId);
        } catch (error) {
          if (error instanceof InvalidPeersTicketError) throw new UnauthorizedError(`peers_ticket_${error.reason}`);
          throw error;
        }
      }
      socket.data.userId = verified.userId;
      socket.data.email = verified.email;
      socket.data.sessionId = verified.sessionId;
      socket.data.expiresAt = verified.expiresAt.getTime();
      socket.data.peers = new Set(claims.peers);
      // Group typing goes to these rooms; conversation.updated pushes move sockets in and out later.
      socket.join(claims.conversations.map(conversationRoom));
      next();
    } catch (error) {
      const reason = error instanceof UnauthorizedError ? error.reason : "verifier_error";
      if (!(error instanceof UnauthorizedError)) {
        logger.error("socket auth failed", { error: error instanceof Error ? error.message : String(error) });
      }
      logger.info("socket refused", { reason });
      next(refusal("unauthorized"));
    }
  };
}

// Counting a user's sockets across instances asks every instance; past this, count this one's only.
const COUNT_TIMEOUT_MS = 1_000;

/**
 * Socket.IO middleware, after `authenticateSocket`: at most `maxPerUser` sockets per user across
 * every instance (counted with `fetchSockets()` on the user's room, which the Redis adapter
 * answers for all of them). The next handshake is refused with `connect_error` message
 * `too_many_connections`. Passing sockets join their user's room here, one handshake of a user
 * at a time per instance, so concurrent handshakes on one instance cannot both take the last
 * place. (Two at the same moment on two instances can: the limit is exact per instance, close
 * to it across them.)
 */
export function limitSocketsPerUser(io: ChatServer, { maxPerUser, logger }: { maxPerUser: number; logger: Logger }) {
  const queues = new Map<string, Promise<void>>();

  async function admit(socket: ChatSocket): Promise<boolean> {
    const room = userRoom(socket.data.userId);
    const namespace = io.of("/");
    // This instance's sockets, counted from the room: it also holds handshakes admitted a
    // moment ago that are not connected yet (fetchSockets() would miss those).
    const local = () => namespace.adapter.rooms.get(room)?.size ?? 0;
    if (local() >= maxPerUser) return false;
    let count = local();
    try {
      const everywhere = await withTimeout(io.in(room).fetchSockets(), COUNT_TIMEOUT_MS);
      count = local() + everywhere.filter((other) => !namespace.sockets.has(other.id)).length;
    } catch (error) {
      // Another instance or Redis does not answer: this instance's count is the best we know.
      logger.warn("socket count failed", { error: error instanceof Error ? error.message : String(error) });
    }
    if (count >= maxPerUser) return false;
    await socket.join(room);
    return true;
  }

  return (socket: ChatSocket, next: (error?: Error) => void): void => {
    const { userId } = socket.data;
    const previous = queues.get(userId) ?? Promise.resolve();
    const turn = previous
      .then(() => admit(socket))
      .then(
        (admitted) => {
          if (admitted) return next();
          logger.info("socket refused", { reason: "too_many_connections" });
          next(refusal("too_many_connections"));
        },
        (error: unknown) => {
          logger.error("socket admission failed", { error: error instanceof Error ? error.message : String(error) });
          next(refusal("unauthorized"));
        },
      );
    queues.set(userId, turn);
    void turn.then(() => {
      if (queues.get(userId) === turn) queues.delete(userId);
    });
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// setTimeout fires at once for delays above 2^31-1 ms (~24.8 days), so long
// expiries are waited for in steps.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Disconnects the socket when its token expires, after telling it why.
 * `disconnect(true)` stops the client's auto-reconnect: it must get a new token.
 */
export function disconnectOnExpiry(socket: ChatSocket): void {
  let timer: NodeJS.Timeout | undefined;
  socket.once("disconnect", () => clearTimeout(timer));

  const check = () => {
    const remaining = socket.data.expiresAt - Date.now();
    if (remaining > 0) {
      timer = setTimeout(check, Math.min(remaining, MAX_TIMEOUT_MS));
      return;
    }
    socket.emit("auth:error", { code: "token_expired" });
    socket.disconnect(true);
  };
  check();
}
