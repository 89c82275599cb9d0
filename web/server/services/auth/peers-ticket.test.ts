import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
// The socket server's own verifier: the two sides must derive the same key.
import { peersTicketKey as socketServerKey, verifyPeersTicket } from "../../../../socket-server/src/peers";
import type { AuthProvider } from "@/server/auth/types";
import type { ChatStore } from "@/server/store/types";
import type { ConversationSummary } from "@/lib/types";
import { getSession } from ".";
import { peersTicketKey, signPeersTicket, ticketContents } from "./peers-ticket";

const secret = () => `whsec_${randomBytes(32).toString("base64")}`;

describe("peers ticket", () => {
  it("when the web app signs a ticket, then the socket server verifies it with a key from the same secret", async () => {
    const webhookSecret = secret();
    const [userId, peer] = [randomUUID(), randomUUID()];

    const ticket = await signPeersTicket(peersTicketKey(webhookSecret), {
      userId,
      peers: [peer],
      expiresAt: new Date(Date.now() + 60_000),
    });

    expect(await verifyPeersTicket([socketServerKey(webhookSecret)], ticket, userId)).toEqual({ peers: [peer], conversations: [] });
    await expect(verifyPeersTicket([socketServerKey(secret())], ticket, userId)).rejects.toThrow();
  });

  it("when a session is asked for, then its ticket lists each conversation's peer once, not the user, and expires with the token", async () => {
    const webhookSecret = secret();
    const [userId, bob, carol] = [randomUUID(), randomUUID(), randomUUID()];
    const expiresAt = new Date(Math.floor(Date.now() / 1000 + 900) * 1000);
    const auth = {
      getAccessToken: async () => ({ accessToken: "token", expiresAt, user: { id: userId, email: "ann@example.com" } }),
    } as unknown as AuthProvider;
    const summary = (peerId: string) => ({ kind: "direct", peer: { id: peerId } }) as ConversationSummary;
    const store = { listConversations: async () => [summary(bob), summary(carol), summary(userId)] } as unknown as ChatStore;

    const session = await getSession({ auth, store }, { peersTicketKey: peersTicketKey(webhookSecret) });

    expect(session.accessToken).toBe("token");
    expect(await verifyPeersTicket([socketServerKey(webhookSecret)], session.peersTicket, userId)).toEqual({
      peers: [bob, carol],
      conversations: [],
    });
    const claims = JSON.parse(Buffer.from(session.peersTicket.split(".")[1]!, "base64url").toString()) as { exp: number };
    expect(claims.exp * 1000).toBe(expiresAt.getTime());
  });

  it("when the user is in groups, then the ticket lists each group's id and its previewed members as peers, never the user", async () => {
    const webhookSecret = secret();
    const [userId, bob, carol, dave, team, club] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const group = (id: string, memberIds: string[]) =>
      ({
        id,
        kind: "group",
        peer: null,
        members: { count: 9, preview: memberIds.map((member) => ({ id: member })) },
      }) as ConversationSummary;
    const direct = { id: randomUUID(), kind: "direct", peer: { id: bob } } as ConversationSummary;

    const contents = ticketContents(userId, [group(team, [userId, bob, carol]), direct, group(club, [dave, userId])]);
    const ticket = await signPeersTicket(peersTicketKey(webhookSecret), { userId, ...contents, expiresAt: new Date(Date.now() + 60_000) });

    expect(contents).toEqual({ peers: [bob, carol, dave], conversations: [team, club] });
    expect(await verifyPeersTicket([socketServerKey(webhookSecret)], ticket, userId)).toEqual(contents);
  });

  it("when a user has more than 1,000 groups, then the ticket carries the first 1,000 and the socket server accepts it", async () => {
    const webhookSecret = secret();
    const userId = randomUUID();
    const groups = Array.from({ length: 1_001 }, () => randomUUID());

    const ticket = await signPeersTicket(peersTicketKey(webhookSecret), {
      userId,
      peers: [],
      conversations: groups,
      expiresAt: new Date(Date.now() + 60_000),
    });

    expect((await verifyPeersTicket([socketServerKey(webhookSecret)], ticket, userId)).conversations).toEqual(groups.slice(0, 1_000));
  });
});
