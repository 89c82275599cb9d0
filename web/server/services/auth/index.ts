import type { AuthUser, SessionInfo } from "@/lib/types";
import type { ConfirmInput, LoginInput } from "@/lib/validations/auth";
import { unauthorized } from "@/server/errors";
import type { AuthProvider } from "@/server/auth/types";
import type { RateLimits } from "@/server/rate-limit";
import type { RealtimePush } from "@/server/realtime/push";
import type { ChatStore } from "@/server/store/types";
import { MAX_TICKET_PEERS, signPeersTicket, ticketContents } from "./peers-ticket";

/**
 * Sends a magic link. Answers the same whether or not the account exists, so the
 * endpoint cannot be used to find out who has an account.
 */
export async function requestLogin(
  { auth, limits }: { auth: AuthProvider; limits: RateLimits },
  input: LoginInput & { ip?: string },
): Promise<{ sent: true }> {
  // No trustworthy address: one bucket shared by all such requests, never a free pass.
  await limits.consume("loginPerIp", input.ip ?? "unknown");
  await limits.consume("loginPerEmail", input.email);
  await auth.sendMagicLink({ email: input.email, next: input.next, ip: input.ip });
  return { sent: true };
}

/** Verifies a magic link and starts the session; returns where to go next. */
export async function confirmLogin(auth: AuthProvider, input: ConfirmInput): Promise<{ user: AuthUser; next: string }> {
  const user = await auth.verifyMagicLink({ tokenHash: input.token_hash, type: input.type });
  return { user, next: input.next };
}

export async function requireUser(auth: AuthProvider): Promise<AuthUser> {
  const user = await auth.getUser();
  if (!user) throw unauthorized();
  return user;
}

/**
 * A socket access token, and the peers ticket that goes with it: the people the user shares a
 * conversation with (the most recent ones), for as long as the token lives.
 */
export async function getSession(
  { auth, store }: { auth: AuthProvider; store: ChatStore },
  { peersTicketKey }: { peersTicketKey: Uint8Array },
): Promise<SessionInfo> {
  // One session lookup: the token comes with the user it was issued for.
  const token = await auth.getAccessToken();
  if (!token) throw unauthorized();
  const conversations = await store.listConversations(token.user.id, MAX_TICKET_PEERS);
  const peersTicket = await signPeersTicket(peersTicketKey, {
    userId: token.user.id,
    ...ticketContents(token.user.id, conversations),
    expiresAt: token.expiresAt,
  });
  return { user: token.user, accessToken: token.accessToken, expiresAt: token.expiresAt.toISOString(), peersTicket };
}

/** Ends the session and disconnects its live sockets. */
export async function logout({ auth, push }: { auth: AuthProvider; push: RealtimePush }): Promise<void> {
  const ended = await auth.signOut();
  if (ended) push.sessionRevoked(ended);
}
