import { describe, expect, it, vi } from "vitest";
import { buildClient, ME, PEER, settle } from "./test-support";

async function listed(options: { visible?: boolean } = {}) {
  const harness = buildClient(options);
  harness.backend.store(PEER.id, ME.id, "first");
  harness.socket.up();
  await settle();
  return harness;
}

describe("notifications", () => {
  it("when a peer's message arrives while the page is hidden, then one notification shows, named after them", async () => {
    const { backend, socket, page } = await listed({ visible: false });
    const message = backend.store(PEER.id, ME.id, "are you there?");
    socket.deliver(message);
    socket.deliver(message);
    expect(page.shown.map(({ title, body, tag }) => ({ title, body, tag }))).toEqual([
      { title: "Pat Peer", body: "are you there?", tag: message.conversationId },
    ]);
  });

  it("when the message has Markdown, then the notification shows its plain text", async () => {
    const { backend, socket, page } = await listed({ visible: false });
    socket.deliver(backend.store(PEER.id, ME.id, "**Lunch?** at `12:30`\n> the usual place"));
    // The formatter loads on first use: the notification waits for it rather than showing the markers.
    await vi.waitFor(() => expect(page.shown.map(({ body }) => body)).toEqual(["Lunch? at 12:30 the usual place"]));
  });

  it("when the page is visible, or the message is mine, then nothing shows", async () => {
    const { backend, socket, page } = await listed();
    socket.deliver(backend.store(PEER.id, ME.id, "visible"));
    page.setVisible(false);
    socket.deliver(backend.store(ME.id, PEER.id, "mine from another tab"));
    expect(page.shown).toEqual([]);
  });

  it("when notifications are turned off here, then nothing shows, and the choice is remembered", async () => {
    const { client, backend, socket, page, local } = await listed({ visible: false });
    await client.setNotificationsEnabled(false);
    socket.deliver(backend.store(PEER.id, ME.id, "quiet"));
    expect(page.shown).toEqual([]);
    expect([...local.entries.values()]).toEqual(["off"]);
    expect(client.getState().notifications).toEqual({ support: "granted", enabled: false });
  });

  it("when a notification is clicked, then its conversation opens", async () => {
    const { client, backend, socket, page } = await listed({ visible: false });
    socket.deliver(backend.store(PEER.id, ME.id, "open me"));
    page.shown[0]!.onClick();
    await settle();
    expect(client.getState().view?.peer?.id).toBe(PEER.id);
    expect(client.getState().view?.messages.map((message) => message.content)).toEqual(["first", "open me"]);
  });
});
