import { describe, expect, it } from "vitest";
import { buildClient, ME, OTHER, PEER, settle } from "./test-support";

describe("presence", () => {
  it("when the socket connects, then the listed peers are followed and their state loaded", async () => {
    const { client, backend, socket } = buildClient();
    backend.store(PEER.id, ME.id, "hi");
    socket.presence.set(PEER.id, { userId: PEER.id, online: true, lastSeenAt: null });
    socket.up();
    await settle();
    expect(socket.log.subscriptions.at(-1)).toEqual([PEER.id]);
    expect(client.getState().presence[PEER.id]?.online).toBe(true);
  });

  it("when someone new is opened, then they are followed too; after a reconnect everyone is followed again", async () => {
    const { client, backend, socket } = buildClient();
    backend.store(PEER.id, ME.id, "hi");
    socket.up();
    await settle();
    await client.openConversation(OTHER);
    await settle();
    expect(socket.log.subscriptions.at(-1)).toEqual([PEER.id, OTHER.id].sort());
    const count = socket.log.subscriptions.length;
    socket.down();
    socket.up();
    await settle();
    expect(socket.log.subscriptions.length).toBe(count + 1);
    expect(socket.log.subscriptions.at(-1)).toEqual([PEER.id, OTHER.id].sort());
  });

  it("when a presence update arrives, then the state follows it", async () => {
    const { client, socket } = buildClient();
    socket.up();
    socket.presenceUpdate({ userId: PEER.id, online: false, lastSeenAt: "2026-01-01T12:00:00.000Z" });
    expect(client.getState().presence[PEER.id]).toEqual({ userId: PEER.id, online: false, lastSeenAt: "2026-01-01T12:00:00.000Z" });
  });
});
