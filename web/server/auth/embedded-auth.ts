import { createHash, randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import type { AuthUser } from "@/lib/types";
import { DomainError } from "@/server/errors";
import { buildMagicLinkMail } from "@/server/mail/magic-link-mail";
import type { Mailer } from "@/server/mail/types";
import type { SqlClient } from "@/server/store/sql/client";
import type { SessionCache } from "./session-cache";
import type { AccessToken, AuthProvider, CookieJar } from "./types";

export const SESSION_COOKIE = "chat_session";
const LINK_TTL_MINUTES = 60;

export interface EmbeddedAuthConfig {
  appUrl: string;
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  sessionTtlDays: number;
  secureCookies: boolean;
}

export interface EmbeddedAuthDeps {
  db: SqlClient;
  mailer: Mailer;
  config: EmbeddedAuthConfig;
  cookies: CookieJar;
  /** The process's cache of session lookups (see session-cache.ts for the revocation bound); none: every request asks the database. */
  sessionCache?: SessionCache;
  now?: () => Date;
}

const newToken = () => randomBytes(32).toString("base64url");
// Tokens are stored hashed: a leaked table row cannot be replayed as a link or a cookie.
const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

/** A JWT in the shape Supabase Auth issues, so the socket server verifies both alike. */
export async function signAccessToken(
  user: AuthUser & { sessionId: string },
  config: Pick<EmbeddedAuthConfig, "appUrl" | "jwtSecret" | "accessTokenTtlSeconds">,
  now = new Date(),
): Promise<AccessToken> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  const expiresAt = issuedAt + config.accessTokenTtlSeconds;
  const accessToken = await new SignJWT({ email: user.email, role: "authenticated", session_id: user.sessionId })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(user.id)
    .setAudience("authenticated")
    .setIssuer(`${config.appUrl}/auth/v1`)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(config.jwtSecret));
  return { accessToken, expiresAt: new Date(expiresAt * 1000) };
}

/** Magic links and sessions kept in the embedded database; the mail goes to `mailer`. */
export function createEmbeddedAuth({ db, mailer, config, cookies, sessionCache, now = () => new Date() }: EmbeddedAuthDeps): AuthProvider {
  async function currentSession(): Promise<(AuthUser & { sessionId: string }) | null> {
    const token = cookies.get(SESSION_COOKIE);
    if (!token || token.length > 200) return null;
    const tokenHash = hashToken(token);
    const cached = sessionCache?.get(tokenHash);
    if (cached && cached.expiresAt > now().getTime()) return { id: cached.id, email: cached.email, sessionId: cached.sessionId };
    const [row] = await db.query<{ session_id: string; id: string; email: string; expires_at: Date | string }>(
      `select s.id as session_id, u.id, u.email, s.expires_at
       from embedded_auth.sessions s join auth.users u on u.id = s.user_id
       where s.token_hash = $1 and s.revoked_at is null and s.expires_at > $2`,
      [tokenHash, now()],
    );
    if (!row) return null;
    const session = { id: row.id, email: row.email, sessionId: row.session_id };
    sessionCache?.set(tokenHash, { ...session, expiresAt: new Date(row.expires_at).getTime() });
    return session;
  }

  return {
    async sendMagicLink({ email, next }) {
      const token = newToken();
      const issuedAt = now();
      await db.query("delete from embedded_auth.one_time_tokens where expires_at < $1", [issuedAt]);
      // Only the newest link works: an older one still unused (in a forwarded or leaked mail) is void.
      await db.query("delete from embedded_auth.one_time_tokens where email = $1 and used_at is null", [email]);
      await db.query("insert into embedded_auth.one_time_tokens (token_hash, email, expires_at) values ($1, $2, $3)", [
        hashToken(token),
        email,
        new Date(issuedAt.getTime() + LINK_TTL_MINUTES * 60_000),
      ]);
      const link = new URL("/auth/confirm", config.appUrl);
      link.search = new URLSearchParams({ token_hash: token, type: "magiclink", next }).toString();
      await mailer.send(buildMagicLinkMail(email, link.toString()));
    },

    async verifyMagicLink({ tokenHash }) {
      // Single use: the update claims the token atomically, so two clicks cannot both win.
      const [claimed] = await db.query<{ email: string }>(
        `update embedded_auth.one_time_tokens set used_at = $2
         where token_hash = $1 and used_at is null and expires_at > $2
         returning email`,
        [hashToken(tokenHash), now()],
      );
      if (!claimed) {
        throw new DomainError(403, "otp_expired", "This sign-in link has expired or has already been used.");
      }
      const [user] = await db.query<{ id: string; email: string }>(
        `insert into auth.users (email, last_sign_in_at) values ($1, $2)
         on conflict (email) do update set last_sign_in_at = excluded.last_sign_in_at
         returning id, email`,
        [claimed.email, now()],
      );
      if (!user) throw new Error("user upsert returned nothing");
      const sessionToken = newToken();
      const maxAge = config.sessionTtlDays * 86_400;
      await db.query("insert into embedded_auth.sessions (user_id, token_hash, expires_at) values ($1, $2, $3)", [
        user.id,
        hashToken(sessionToken),
        new Date(now().getTime() + maxAge * 1000),
      ]);
      cookies.set(SESSION_COOKIE, sessionToken, {
        httpOnly: true,
        sameSite: "lax",
        secure: config.secureCookies,
        path: "/",
        maxAge,
      });
      return { id: user.id, email: user.email };
    },

    async exchangeCode() {
      // The embedded issuer mails token_hash links only; codes come from Supabase's PKCE flow.
      throw new DomainError(400, "unsupported_flow", "This sign-in link is not valid here. Ask for a new one.");
    },

    async getUser() {
      const session = await currentSession();
      return session ? { id: session.id, email: session.email } : null;
    },

    async getAccessToken() {
      const session = await currentSession();
      if (!session) return null;
      return { ...(await signAccessToken(session, config, now())), user: { id: session.id, email: session.email } };
    },

    async signOut() {
      const token = cookies.get(SESSION_COOKIE);
      if (token) sessionCache?.revoke(hashToken(token));
      // The push that closes the session's sockets is recorded in the same transaction (outbox).
      const revoked = token
        ? await db.transaction(async (tx) => {
            const [row] = await tx.query<{ id: string; user_id: string }>(
              "update embedded_auth.sessions set revoked_at = $2 where token_hash = $1 and revoked_at is null returning id, user_id",
              [hashToken(token), now()],
            );
            if (row) await tx.query("select public.enqueue_session_revoked_for($1, $2)", [row.user_id, row.id]);
            return row;
          })
        : undefined;
      cookies.set(SESSION_COOKIE, "", { httpOnly: true, sameSite: "lax", secure: config.secureCookies, path: "/", maxAge: 0 });
      return revoked ? { userId: revoked.user_id, sessionId: revoked.id } : null;
    },
  };
}
