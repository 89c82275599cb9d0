import { describe, expect, it } from "vitest";
import { buildClient, ME, PEER, settle } from "./test-support";

describe("typing", () => {
  it("when the peer types, then the state shows it until they stop, send, or go quiet", async () => {
    const { client, backend, socket, clock } = buildClient();
    socket.up();
    socket.typing(PEER.id, true);
    expect(client.getState().typing).toEqual([PEER.id]);
    socket.typing(PEER.id, false);
    expect(client.getState().typing).toEqual([]);
    socket.typing(PEER.id, true);
    socket.deliver(backend.store(PEER.id, ME.id, "done typing"));
    expect(client.getState().typing).toEqual([]);
    socket.typing(PEER.id, true);
    await clock.advance(5_000);
    expect(client.getState().typing).toEqual([]);
  });

  it("when the connection drops, then nobody is shown typing", async () => {
    const { client, socket } = buildClient();
    socket.up();
    socket.typing(PEER.id, true);
    socket.down();
    expect(client.getState().typing).toEqual([]);
  });

  it("when I type in the open conversation, then the peer is told, and told I stopped when I send", async () => {
    const { client, socket } = buildClient();
    socket.up();
    await client.openConversation(PEER);
    await settle();
    client.changeDraft("hel");
    client.changeDraft("hello");
    client.sendMessage("hello");
    expect(socket.log.typing).toEqual([
      { to: PEER.id, typing: true },
      { to: PEER.id, typing: false },
    ]);
  });
});
