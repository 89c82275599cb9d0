import { createHmac } from "node:crypto";
import { SignJWT } from "jose";
import type { ConversationSummary } from "@/lib/types";

/**
 * The peers ticket: who the user shares a conversation with, and the user's groups, signed for
 * the socket server (which has no database) so it relays typing and presence only between them
 * and puts the socket in each group's room (group typing). An HS256 JWT
 * `{ sub, peers, conversations, exp }` keyed by HMAC-SHA256(<the whsec_ secret's key bytes>, "peers-ticket"):
 * the socket server derives the same key from any of its webhook secrets (rotation).
 */

/** The socket server accepts at most this many peers in a ticket. */
export const MAX_TICKET_PEERS = 1_000;
/** The socket server accepts at most this many group ids in a ticket. */
export const MAX_TICKET_CONVERSATIONS = 1_000;

/**
 * What a ticket says, from the user's conversation list: each direct conversation's peer and a
 * group's first members (the list's preview; the socket server learns the rest from the group's
 * pushes) as peers, never the user; every group's id.
 */
export function ticketContents(userId: string, conversations: ConversationSummary[]): { peers: string[]; conversations: string[] } {
  const peers = new Set<string>();
  const groups: string[] = [];
  for (const conversation of conversations) {
    if (conversation.peer) peers.add(conversation.peer.id);
    else for (const member of conversation.members.preview) peers.add(member.id);
    if (conversation.kind === "group") groups.push(conversation.id);
  }
  peers.delete(userId);
  return { peers: [...peers], conversations: groups };
}

/** The ticket's HS256 key, derived from a `whsec_<base64>` webhook secret. */
export function peersTicketKey(webhookSecret: string): Uint8Array {
  const key = Buffer.from(webhookSecret.replace(/^whsec_/, ""), "base64");
  return createHmac("sha256", key).update("peers-ticket").digest();
}

export function signPeersTicket(
  key: Uint8Array,
  { userId, peers, conversations = [], expiresAt }: { userId: string; peers: string[]; conversations?: string[]; expiresAt: Date },
): Promise<string> {
  return new SignJWT({ peers: peers.slice(0, MAX_TICKET_PEERS), conversations: conversations.slice(0, MAX_TICKET_CONVERSATIONS) })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(key);
}
