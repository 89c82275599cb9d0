import { errors, jwtVerify } from "jose";
import { z } from "zod";
import type { ChatSocket } from "./app.js";
import type { Logger } from "./logger.js";

/** What the socket server needs to know about a verified access token. */
export interface AccessToken {
  userId: string;
  /** Empty when the token carries no email (e.g. phone sign-in). */
  email: string;
  expiresAt: Date;
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
  email: z.string().optional(),
});

/** Verifies tokens signed with the shared HS256 secret (the web app's, or Supabase's legacy JWT secret). */
export function createHs256Verifier(secret: string): AccessTokenVerifier {
  const key = new TextEncoder().encode(secret);

  return {
    async verifyAccessToken(token) {
      let payload: unknown;
      try {
        // IMPORTANT: pin the algorithm; `exp` must be present, not just valid when present.
        ({ payload } = await jwtVerify(token, key, {
          algorithms: ["HS256"],
          audience: "authenticated",
          requiredClaims: ["exp", "sub"],
        }));
      } catch (error) {
        throw new UnauthorizedError(error instanceof errors.JOSEError ? error.code : "invalid_token");
      }

      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) throw new UnauthorizedError("invalid_claims");

      return {
        userId: claims.data.sub,
        email: claims.data.email ?? "",
        expiresAt: new Date(claims.data.exp * 1000),
      };
    },
  };
}

/** The room every socket of one user joins; pushes are emitted to it. */
export function userRoom(userId: string): `user:${string}` {
  return `user:${userId}`;
}

/**
 * Socket.IO middleware: refuses the connection with `connect_error`
 * message "unauthorized" unless `auth.token` verifies.
 */
export function authenticateSocket(verifier: AccessTokenVerifier, logger: Logger) {
  return async (socket: ChatSocket, next: (error?: Error) => void): Promise<void> => {
    const token: unknown = socket.handshake.auth?.token;
    try {
      if (typeof token !== "string" || token === "") throw new UnauthorizedError("missing_token");
      const verified = await verifier.verifyAccessToken(token);
      socket.data.userId = verified.userId;
      socket.data.email = verified.email;
      socket.data.expiresAt = verified.expiresAt.getTime();
      next();
    } catch (error) {
      const reason = error instanceof UnauthorizedError ? error.reason : "verifier_error";
      if (!(error instanceof UnauthorizedError)) {
        logger.error("socket auth failed", { error: error instanceof Error ? error.message : String(error) });
      }
      logger.info("socket refused", { reason });
      next(Object.assign(new Error("unauthorized"), { data: { code: "unauthorized" } }));
    }
  };
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
