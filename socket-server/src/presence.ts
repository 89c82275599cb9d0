import { conversationRoom, userRoom } from "./auth.js";
import { presenceSubscribeSchema, typingSchema, type PresenceState } from "./contract/index.js";
import type { Logger } from "./logger.js";
import type { PeerStore } from "./peers.js";
import type { ChatServer, ChatSocket } from "./types.js";

/** When each user's last socket left. Memory for one instance, Redis for several. */
export interface LastSeenStore {
  get(userIds: string[]): Promise<Map<string, string>>;
  set(userId: string, at: string): Promise<void>;
}

export function createMemoryLastSeenStore(maxUsers = 100_000): LastSeenStore {
  const seen = new Map<string, string>();
  return {
    async get(userIds) {
      return new Map(userIds.flatMap((id) => (seen.has(id) ? [[id, seen.get(id)!] as const] : [])));
    },
    async set(userId, at) {
      seen.delete(userId); // re-insert: the Map keeps insertion order, oldest first
      if (seen.size >= maxUsers) seen.delete(seen.keys().next().value!);
      seen.set(userId, at);
    },
  };
}

const presenceRoom = (userId: string) => `presence:${userId}`;

/**
 * Is `other` a peer of the socket's user (they share a conversation)? The ticket's peers are
 * on the socket; others are asked of the peer store (learned from message pushes), and a yes
 * is remembered on the socket.
 */
async function isPeer(socket: ChatSocket, peers: PeerStore, other: string): Promise<boolean> {
  if (other === socket.data.userId || socket.data.peers.has(other)) return true;
  if (!(await peers.has(socket.data.userId, other))) return false;
  socket.data.peers.add(other);
  return true;
}

/**
 * Presence and typing, only between peers (people who share a conversation). A user is online
 * while any of their sockets is connected on any instance: counted with `fetchSockets()` on
 * their room, which the Redis adapter answers across instances. Typing is relayed to the named
 * peer only, or to a group's room when the socket is in it, and never stored; anything else is
 * dropped with `error:forbidden`.
 */
export function attachPresence(
  io: ChatServer,
  { lastSeen, peers, logger, onForbidden }: { lastSeen: LastSeenStore; peers: PeerStore; logger: Logger; onForbidden?: () => void },
) {
  /** The peers among `userIds`; a store failure counts as "not a peer". */
  async function onlyPeers(socket: ChatSocket, userIds: string[]): Promise<string[]> {
    const allowed = await Promise.all(userIds.map((id) => isPeer(socket, peers, id).catch(() => false)));
    return userIds.filter((_id, index) => allowed[index]);
  }

  async function isOnline(userId: string): Promise<boolean> {
    return (await io.in(userRoom(userId)).fetchSockets()).length > 0;
  }

  async function states(userIds: string[]): Promise<PresenceState[]> {
    const seen = await lastSeen.get(userIds);
    const online = await Promise.all(userIds.map((id) => isOnline(id).catch(() => false)));
    return userIds.map((userId, i) => ({ userId, online: online[i]!, lastSeenAt: online[i] ? null : (seen.get(userId) ?? null) }));
  }

  const announce = (state: PresenceState) => io.to(presenceRoom(state.userId)).emit("presence:update", state);

  /**
   * Two people just became peers (their first message): each of their sockets, on every
   * instance, follows the other's presence from now on and is told the current state, so a
   * conversation opened with a stranger shows presence as soon as it has a message.
   */
  async function introduce(a: string, b: string): Promise<void> {
    io.in(userRoom(a)).socketsJoin(presenceRoom(b));
    io.in(userRoom(b)).socketsJoin(presenceRoom(a));
    const [stateOfA, stateOfB] = await states([a, b]);
    io.to(userRoom(a)).emit("presence:update", stateOfB!);
    io.to(userRoom(b)).emit("presence:update", stateOfA!);
  }

  function onConnection(socket: ChatSocket): void {
    const { userId } = socket.data;
    let subscribed: string[] = [];

    // The first socket of a user brings them online for everyone following them.
    void isOnline(userId)
      .then((online) => online && announce({ userId, online: true, lastSeenAt: null }))
      .catch((error: unknown) => logger.warn("presence check failed", { error: String(error) }));

    socket.on("presence:subscribe", async (userIds, ack) => {
      if (typeof ack !== "function") return;
      const parsed = presenceSubscribeSchema.safeParse(userIds);
      if (!parsed.success) return ack([]);
      for (const id of subscribed) void socket.leave(presenceRoom(id));
      subscribed = await onlyPeers(socket, [...new Set(parsed.data)]);
      if (!socket.connected) return;
      for (const id of subscribed) void socket.join(presenceRoom(id));
      try {
        ack(await states(subscribed));
      } catch (error) {
        logger.warn("presence lookup failed", { error: String(error) });
        ack([]);
      }
    });

    const forbid = (typing: boolean, reason: "not_a_peer" | "not_a_member") => {
      onForbidden?.();
      socket.emit("error:forbidden", { event: typing ? "typing:start" : "typing:stop", reason });
    };
    const relayTyping = (typing: boolean) => async (payload: unknown) => {
      const parsed = typingSchema.safeParse(payload);
      if (!parsed.success) return;
      if ("conversationId" in parsed.data) {
        // A group: this socket must be in its room (from the peers ticket, or a conversation.updated
        // push since), which a removal leaves on every instance.
        const { conversationId } = parsed.data;
        const room = conversationRoom(conversationId);
        if (!socket.rooms.has(room)) return forbid(typing, "not_a_member");
        // The members' sockets, wherever they are, but none of the typist's own.
        io.to(room).except(userRoom(userId)).emit("typing:update", { from: userId, typing, conversationId });
        return;
      }
      const { to } = parsed.data;
      if (to === userId) return;
      if (!(await isPeer(socket, peers, to).catch(() => false))) return forbid(typing, "not_a_peer");
      io.to(userRoom(to)).emit("typing:update", { from: userId, typing });
    };
    socket.on("typing:start", relayTyping(true));
    socket.on("typing:stop", relayTyping(false));

    socket.once("disconnect", async () => {
      try {
        if (await isOnline(userId)) return; // another tab or device is still here
        const at = new Date().toISOString();
        await lastSeen.set(userId, at);
        announce({ userId, online: false, lastSeenAt: at });
      } catch (error) {
        logger.warn("presence update failed", { error: String(error) });
      }
    });
  }

  return { onConnection, introduce };
}
