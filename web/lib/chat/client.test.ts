import { describe, expect, it } from "vitest";
import { buildClient, ME, PEER, settle } from "./test-support";

describe("chat client", () => {
  it("when started, then it loads the list and the profile, and follows the connection", async () => {
    const { client, backend, socket } = buildClient();
    backend.store(PEER.id, ME.id, "hi");
    expect(client.getState().connection).toBe("connecting");
    socket.up();
    await settle();
    expect(client.getState()).toMatchObject({ connection: "connected", conversationsLoaded: true, profile: ME });
    expect(client.getState().conversations.map((conversation) => conversation.peer?.id)).toEqual([PEER.id]);
    socket.down();
    expect(client.getState().connection).toBe("reconnecting");
  });

  it("when I send, then the message is pending, then sent once, and the list shows it", async () => {
    const { client, backend, socket } = buildClient();
    socket.up();
    await client.openConversation(PEER);
    const seen: number[] = [];
    const unsubscribe = client.subscribe(() => seen.push(client.getState().outbox.length));
    client.sendMessage("hello");
    expect(client.getState().outbox.map((item) => item.content)).toEqual(["hello"]);
    await settle();
    expect(client.getState().outbox).toEqual([]);
    expect(client.getState().view?.messages.map((message) => message.content)).toEqual(["hello"]);
    // The push of my own message arrives too: still shown once.
    socket.deliver(backend.messages(PEER.id)[0]!);
    expect(client.getState().view?.messages).toHaveLength(1);
    expect(client.getState().conversations[0]?.lastMessage.content).toBe("hello");
    expect(seen.length).toBeGreaterThan(0);
    unsubscribe();
  });

  it("when stopped and started again (React's strict mode), then one socket is open and the state is kept", async () => {
    const { client, socket, stop } = buildClient();
    socket.up();
    await client.openConversation(PEER);
    stop();
    expect(socket.log.closed).toBe(1);
    const again = client.start();
    expect(socket.log.opened).toBe(2);
    expect(client.getState().view?.peer?.id).toBe(PEER.id);
    again();
  });
});
