import type { AuthUser } from "@/lib/types";
import type { OTP_TYPES } from "@/lib/validations/auth";

export type OtpType = (typeof OTP_TYPES)[number];

export interface CookieOptions {
  httpOnly?: boolean;
  sameSite?: boolean | "lax" | "strict" | "none";
  secure?: boolean;
  path?: string;
  domain?: string;
  maxAge?: number;
  expires?: Date;
  priority?: "low" | "medium" | "high";
  partitioned?: boolean;
}

/** The request's cookies, and the ones the response must set. */
export interface CookieJar {
  get(name: string): string | undefined;
  getAll(): { name: string; value: string }[];
  set(name: string, value: string, options: CookieOptions): void;
}

export interface AccessToken {
  accessToken: string;
  expiresAt: Date;
}

/**
 * Passwordless auth for one request: an adapter per backend (embedded issuer, Supabase Auth).
 * Methods that change the session write cookies to the jar they were created with.
 */
export interface AuthProvider {
  /** Mails a magic link that lands on /auth/confirm and then on `next` (a safe relative path). */
  sendMagicLink(input: { email: string; next: string; ip?: string }): Promise<void>;
  /** Verifies a magic link token, creating the user on first login, and starts a session. */
  verifyMagicLink(input: { tokenHash: string; type: OtpType }): Promise<AuthUser>;
  /** The PKCE flow (`/auth/callback?code=`): trades the code for a session. */
  exchangeCode(code: string): Promise<AuthUser>;
  getUser(): Promise<AuthUser | null>;
  /** A short-lived JWT for the socket server, fresh enough to use right away, with its user. */
  getAccessToken(): Promise<(AccessToken & { user: AuthUser }) | null>;
  /** Ends this session; says whose and which, so their live sockets can be closed. */
  signOut(): Promise<{ userId: string; sessionId: string | null } | null>;
}
