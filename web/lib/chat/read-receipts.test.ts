import { describe, expect, it } from "vitest";
import { READ_DEBOUNCE_MS, READ_RETRY_MS } from "./read-receipts";
import { buildClient, ME, PEER, settle } from "./test-support";

async function reading(options: { visible?: boolean } = {}) {
  const harness = buildClient(options);
  harness.backend.store(PEER.id, ME.id, "one");
  harness.socket.up();
  await settle();
  await harness.client.openConversation(PEER);
  await settle();
  return harness;
}

describe("read receipts", () => {
  it("when a burst of messages arrives in the open conversation, then it is marked read once, up to the newest", async () => {
    const { backend, socket, clock } = await reading();
    await clock.advance(READ_DEBOUNCE_MS);
    await settle();
    expect(backend.callsOf("markRead")).toEqual([{ peerId: PEER.id, seq: 1 }]);
    for (const text of ["two", "three", "four"]) {
      socket.deliver(backend.store(PEER.id, ME.id, text));
      await clock.advance(READ_DEBOUNCE_MS / 4);
    }
    expect(backend.callsOf("markRead")).toHaveLength(1);
    await clock.advance(READ_DEBOUNCE_MS);
    await settle();
    expect(backend.callsOf("markRead")).toEqual([
      { peerId: PEER.id, seq: 1 },
      { peerId: PEER.id, seq: 4 },
    ]);
  });

  it("when the tab is hidden, then nothing is marked read until it shows again", async () => {
    const { backend, clock, page, client } = await reading({ visible: false });
    await clock.advance(READ_DEBOUNCE_MS * 3);
    await settle();
    expect(backend.callsOf("markRead")).toEqual([]);
    expect(client.getState().conversations[0]?.unreadCount).toBe(1);
    page.setVisible(true);
    await clock.advance(READ_DEBOUNCE_MS);
    await settle();
    expect(backend.callsOf("markRead")).toEqual([{ peerId: PEER.id, seq: 1 }]);
    expect(client.getState().conversations[0]?.unreadCount).toBe(0);
  });

  it("when marking read fails, then it is tried again after READ_RETRY_MS", async () => {
    const { backend, clock, client } = await reading();
    backend.failNext("markRead");
    await clock.advance(READ_DEBOUNCE_MS);
    await settle();
    expect(backend.callsOf("markRead")).toHaveLength(1);
    expect(client.getState().conversations[0]?.unreadCount).toBe(1);
    await clock.advance(READ_RETRY_MS);
    await settle();
    expect(backend.callsOf("markRead")).toHaveLength(2);
    expect(client.getState().conversations[0]?.unreadCount).toBe(0);
  });
});
