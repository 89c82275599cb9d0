import { createHmac } from "node:crypto";
import { jwtVerify } from "jose";
import { z } from "zod";
import { webhookKey } from "./webhook-signature.js";

/**
 * Who may see whose typing and presence: people who share a conversation ("peers").
 * The socket server has no database, so it learns peers two ways: the peers ticket a client
 * hands over at the handshake (signed by the web app from its conversation list), and every
 * `message.created` push (a new conversation makes its two people peers at once).
 */
export interface PeerStore {
  /** Records that `a` and `b` share a conversation; resolves true when the pair was not known yet. */
  add(a: string, b: string): Promise<boolean>;
  has(a: string, b: string): Promise<boolean>;
}

/** Kept longer than a peers ticket lives (an access token's lifetime): by then new tickets list the pair. */
export const PEER_PAIR_TTL_MS = 24 * 60 * 60 * 1000;
const DEFAULT_MAX_PAIRS = 200_000;

/** One key per unordered pair. */
export const pairKey = (a: string, b: string) => (a < b ? `${a}:${b}` : `${b}:${a}`);

/** In memory: pairs live `ttlMs` after they were last added, at most `maxPairs` (least recently added dropped first). */
export function createMemoryPeerStore({
  ttlMs = PEER_PAIR_TTL_MS,
  maxPairs = DEFAULT_MAX_PAIRS,
  now = Date.now,
}: { ttlMs?: number; maxPairs?: number; now?: () => number } = {}): PeerStore & { hasSync(a: string, b: string): boolean } {
  const expiries = new Map<string, number>();
  const hasSync = (a: string, b: string) => (expiries.get(pairKey(a, b)) ?? 0) > now();
  return {
    async add(a, b) {
      const key = pairKey(a, b);
      const time = now();
      const expiresAt = expiries.get(key);
      // Refreshed at most once a minute: the common case (an active pair) is one Map read.
      if (expiresAt !== undefined && expiresAt - time > ttlMs - 60_000) return false;
      for (const [oldKey, oldExpiry] of expiries) {
        if (oldExpiry > time) break;
        expiries.delete(oldKey);
      }
      expiries.delete(key);
      if (expiries.size >= maxPairs) expiries.delete(expiries.keys().next().value!);
      expiries.set(key, time + ttlMs);
      return expiresAt === undefined || expiresAt <= time;
    },
    async has(a, b) {
      return hasSync(a, b);
    },
    hasSync,
  };
}

/**
 * The HS256 key of peers tickets: HMAC-SHA256(<the whsec_ secret's key bytes>, "peers-ticket").
 * The web app signs with its first `WEBHOOK_SECRET`; any configured one verifies (rotation).
 */
export function peersTicketKey(webhookSecret: string): Uint8Array {
  return createHmac("sha256", webhookKey(webhookSecret)).update("peers-ticket").digest();
}

/** At most this many peers in one ticket (the web app lists the most recent conversations). */
export const MAX_TICKET_PEERS = 1_000;
/** At most this many group ids in one ticket (the `conversations` claim). */
export const MAX_TICKET_CONVERSATIONS = 1_000;

const ticketClaimsSchema = z.object({
  sub: z.guid(),
  exp: z.number(),
  peers: z.array(z.guid()).max(MAX_TICKET_PEERS),
  // Optional: a ticket from a web app before groups has none.
  conversations: z.array(z.guid()).max(MAX_TICKET_CONVERSATIONS).default([]),
});

/** What a verified peers ticket says about its user. */
export interface PeersTicketClaims {
  /** Who the user shares a conversation with. */
  peers: string[];
  /** The user's groups: the socket joins `conv:<id>` for each (group typing). */
  conversations: string[];
}

export class InvalidPeersTicketError extends Error {
  constructor(readonly reason: string) {
    super("invalid peers ticket");
    this.name = "InvalidPeersTicketError";
  }
}

/**
 * Verifies a peers ticket (`{ sub, peers, conversations?, exp }`, HS256) with any of `keys` and
 * returns its peers and groups. @throws InvalidPeersTicketError unless it verifies and names
 * `userId` as its `sub`.
 */
export async function verifyPeersTicket(keys: readonly Uint8Array[], ticket: string, userId: string): Promise<PeersTicketClaims> {
  let reason = "no_matching_key";
  for (const key of keys) {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(ticket, key, { algorithms: ["HS256"], requiredClaims: ["exp", "sub"] }));
    } catch (error) {
      reason = (error as { code?: string }).code ?? "invalid_ticket";
      // Expired, malformed or with bad claims: the same under every key.
      if (reason !== "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") break;
      continue;
    }
    const claims = ticketClaimsSchema.safeParse(payload);
    if (!claims.success) throw new InvalidPeersTicketError("invalid_claims");
    if (claims.data.sub !== userId) throw new InvalidPeersTicketError("sub_mismatch");
    return { peers: claims.data.peers, conversations: claims.data.conversations };
  }
  throw new InvalidPeersTicketError(reason);
}
