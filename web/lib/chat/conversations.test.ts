import { describe, expect, it } from "vitest";
import { buildClient, createMemoryKeyValue, ME, OTHER, PEER, settle } from "./test-support";

describe("conversations by URL", () => {
  it("when a link names a listed peer before the list has loaded, then it resolves, then opens with its history", async () => {
    const { client, backend, socket } = buildClient();
    backend.store(PEER.id, ME.id, "hello from the link");
    client.showConversation({ kind: "direct", peerId: PEER.id });
    expect(client.getState().route).toEqual({ target: { kind: "direct", peerId: PEER.id }, status: "resolving" });
    socket.up();
    await settle();
    expect(client.getState().route).toBeNull();
    expect(client.getState().view?.peer).toEqual(PEER);
    expect(client.getState().view?.messages.map((message) => message.content)).toEqual(["hello from the link"]);
  });

  it("when a link names someone I share no conversation with, an unknown id, or myself, then it is missing", async () => {
    const { client, socket } = buildClient();
    socket.up();
    await settle();
    for (const peerId of [OTHER.id, "not-a-user", ME.id]) {
      client.showConversation({ kind: "direct", peerId });
      expect(client.getState().route).toEqual({ target: { kind: "direct", peerId }, status: "missing" });
      expect(client.getState().view).toBeNull();
    }
    client.showConversation(null);
    expect(client.getState().route).toBeNull();
  });

  it("when a peer found by search is reloaded by URL in the same tab, then it opens without waiting for the list", async () => {
    const session = createMemoryKeyValue();
    const first = buildClient({ session });
    await first.client.openConversation(OTHER);
    first.stop();

    const second = buildClient({ session });
    second.client.showConversation({ kind: "direct", peerId: OTHER.id });
    expect(second.client.getState().view?.peer).toEqual(OTHER);
  });

  it("when Back and Forward move between conversations, then each shows, and the list closes them", async () => {
    const { client, backend, socket } = buildClient();
    backend.store(PEER.id, ME.id, "p");
    backend.store(OTHER.id, ME.id, "o");
    socket.up();
    await settle();
    for (const peerId of [PEER.id, OTHER.id, PEER.id]) {
      client.showConversation({ kind: "direct", peerId });
      await settle();
      expect(client.getState().view?.messages.map((message) => message.content)).toEqual([peerId === PEER.id ? "p" : "o"]);
    }
    client.showConversation(null);
    expect(client.getState().view).toBeNull();
  });

  it("when older messages are asked for, then they come before the held ones, until the start", async () => {
    const { client, backend, socket } = buildClient();
    for (let index = 1; index <= 60; index += 1) backend.store(PEER.id, ME.id, `m${index}`);
    socket.up();
    await client.openConversation(PEER);
    expect(client.getState().view?.messages).toHaveLength(50);
    expect(client.getState().view?.hasOlder).toBe(true);
    await client.loadOlder();
    expect(client.getState().view?.messages.map((message) => message.content)).toEqual(
      backend.messages(PEER.id).map((message) => message.content),
    );
    expect(client.getState().view?.hasOlder).toBe(false);
  });
});
