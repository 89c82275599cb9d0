import { describe, expect, it } from "vitest";
import { POSITION_CHECK_MS } from "./position-check";
import { buildClient, ME, OTHER, PEER, settle } from "./test-support";

async function connected(options: { visible?: boolean } = {}) {
  const harness = buildClient(options);
  harness.backend.store(PEER.id, ME.id, "one");
  harness.socket.up();
  await settle();
  await harness.client.openConversation(PEER);
  await settle();
  return harness;
}

describe("periodic position check", () => {
  it("when a push is lost while the socket stays up, then within POSITION_CHECK_MS the open conversation fetches it", async () => {
    const { client, backend, clock } = await connected();
    backend.store(PEER.id, ME.id, "two (push lost)");
    await clock.advance(POSITION_CHECK_MS - 1);
    await settle();
    expect(client.getState().view?.messages.map((message) => message.content)).toEqual(["one"]);
    await clock.advance(1);
    await settle();
    expect(client.getState().view?.messages.map((message) => message.content)).toEqual(["one", "two (push lost)"]);
  });

  it("when a lost push was for another conversation, then the list shows it with its unread count", async () => {
    const { client, backend, clock } = await connected();
    backend.store(OTHER.id, ME.id, "elsewhere");
    await clock.advance(POSITION_CHECK_MS);
    await settle();
    const other = client.getState().conversations.find((conversation) => conversation.peer?.id === OTHER.id);
    expect(other).toMatchObject({ unreadCount: 1, lastMessage: { content: "elsewhere" } });
  });

  it("when the page is hidden, then it does not check; it checks again once visible", async () => {
    const { backend, clock, page } = await connected({ visible: false });
    const lists = () => backend.callsOf("listConversations").length;
    const before = lists();
    await clock.advance(POSITION_CHECK_MS * 3);
    await settle();
    expect(lists()).toBe(before);
    page.setVisible(true);
    await clock.advance(POSITION_CHECK_MS);
    await settle();
    expect(lists()).toBe(before + 1);
  });
});
