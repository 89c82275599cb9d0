import { createHmac } from "node:crypto";
import { SignJWT } from "jose";

/**
 * The peers ticket: who the user shares a conversation with, signed for the socket server
 * (which has no database) so it relays typing and presence only between them. An HS256 JWT
 * `{ sub, peers, exp }` keyed by HMAC-SHA256(<the whsec_ secret's key bytes>, "peers-ticket"):
 * the socket server derives the same key from any of its webhook secrets (rotation).
 */

/** The socket server accepts at most this many peers in a ticket. */
export const MAX_TICKET_PEERS = 1_000;

/** The ticket's HS256 key, derived from a `whsec_<base64>` webhook secret. */
export function peersTicketKey(webhookSecret: string): Uint8Array {
  const key = Buffer.from(webhookSecret.replace(/^whsec_/, ""), "base64");
  return createHmac("sha256", key).update("peers-ticket").digest();
}

export function signPeersTicket(
  key: Uint8Array,
  { userId, peers, expiresAt }: { userId: string; peers: string[]; expiresAt: Date },
): Promise<string> {
  return new SignJWT({ peers: peers.slice(0, MAX_TICKET_PEERS) })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(key);
}
