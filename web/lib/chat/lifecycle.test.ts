import { describe, expect, it } from "vitest";
import { GAP_WAIT_MS } from "./catch-up";
import { buildClient, ME, OTHER, PEER, settle } from "./test-support";

type Harness = ReturnType<typeof buildClient>;

const shown = ({ client }: Harness) =>
  client.getState().view?.messages.map((message) => ({
    content: message.content,
    edited: !!message.editedAt,
    deleted: !!message.deletedAt,
    reactions: (message.reactions ?? []).map((reaction) => `${reaction.emoji}${reaction.count}`),
  }));

/** What the server holds, in the shape `shown` gives. */
const stored = ({ backend }: Harness) =>
  backend.messages(PEER.id).map((message) => ({
    content: message.content,
    edited: !!message.editedAt,
    deleted: !!message.deletedAt,
    reactions: (message.reactions ?? []).map((reaction) => `${reaction.emoji}${reaction.count}`),
  }));

async function openWithPeer() {
  const harness = buildClient();
  const one = harness.backend.store(PEER.id, ME.id, "one");
  const two = harness.backend.store(ME.id, PEER.id, "two");
  harness.socket.up();
  await settle();
  await harness.client.openConversation(PEER);
  await settle();
  return { ...harness, one, two };
}

describe("message lifecycle: live changes", () => {
  it("when the peer edits, deletes and reacts, then each change shows at once", async () => {
    const harness = await openWithPeer();
    const { backend, socket, one, two } = harness;
    socket.changed(backend.edit(one.id, PEER.id, "one, better"));
    socket.changed(backend.react(two.id, PEER.id, "👍"));
    socket.changed(backend.remove(one.id, PEER.id));
    expect(shown(harness)).toEqual([
      { content: "", edited: true, deleted: true, reactions: [] },
      { content: "two", edited: false, deleted: false, reactions: ["👍1"] },
    ]);
    expect(backend.callsOf("fetchChanges")).toHaveLength(0);
  });

  it("when a change arrives twice, or an older one arrives after a newer, then nothing goes back", async () => {
    const harness = await openWithPeer();
    const { backend, socket, one } = harness;
    const first = backend.edit(one.id, PEER.id, "first edit");
    const second = backend.edit(one.id, PEER.id, "second edit");
    socket.changed(first);
    socket.changed(second);
    socket.changed(first);
    socket.changed(second);
    expect(shown(harness)?.[0]?.content).toBe("second edit");
  });

  it("when pushes overtake each other, then the later change waits for the earlier and both apply in order", async () => {
    const harness = await openWithPeer();
    const { backend, socket, clock, one } = harness;
    const first = backend.edit(one.id, PEER.id, "first edit");
    const second = backend.react(one.id, PEER.id, "🎉");
    socket.changed(second);
    // Held back: the reaction's snapshot already has the first edit, but it waits for its turn.
    expect(harness.client.getState().view?.ahead).toHaveLength(1);
    socket.changed(first);
    expect(shown(harness)?.[0]).toEqual({ content: "first edit", edited: true, deleted: false, reactions: ["🎉1"] });
    await clock.advance(GAP_WAIT_MS * 2);
    await settle();
    expect(backend.callsOf("fetchChanges")).toHaveLength(0);
  });

  it("when a change's push is lost, then the next one past the gap fetches the stream after the last applied position", async () => {
    const harness = await openWithPeer();
    const { backend, socket, clock, one, two } = harness;
    const pos = harness.client.getState().view?.pos;
    backend.edit(one.id, PEER.id, "edited (push lost)");
    socket.changed(backend.react(two.id, PEER.id, "❤️"));
    await clock.advance(GAP_WAIT_MS - 1);
    expect(shown(harness)?.[0]?.content).toBe("one");
    await clock.advance(1);
    await settle();
    expect(backend.callsOf("fetchChanges")).toEqual([{ conversationId: one.conversationId, after: pos, limit: 100 }]);
    expect(shown(harness)).toEqual(stored(harness));
    expect(harness.client.getState().view?.ahead).toEqual([]);
  });

  it("when a new message's pos skips one (a lost reaction), then the stream is caught up too", async () => {
    const harness = await openWithPeer();
    const { backend, socket, clock, one } = harness;
    backend.react(one.id, PEER.id, "👀");
    socket.deliver(backend.store(PEER.id, ME.id, "three"));
    await clock.advance(GAP_WAIT_MS);
    await settle();
    expect(shown(harness)).toEqual(stored(harness));
    expect(shown(harness)?.[0]?.reactions).toEqual(["👀1"]);
  });
});

describe("message lifecycle: catch-up", () => {
  it("when the socket reconnects, then edits, deletions and reactions made meanwhile arrive once each, in order", async () => {
    const harness = await openWithPeer();
    const { backend, socket, one, two } = harness;
    socket.down();
    backend.edit(one.id, PEER.id, "v2");
    backend.react(two.id, PEER.id, "👍");
    backend.react(two.id, PEER.id, "👍", false);
    backend.react(two.id, PEER.id, "😂");
    backend.edit(one.id, PEER.id, "v3");
    backend.remove(one.id, PEER.id);
    backend.store(PEER.id, ME.id, "three");
    socket.up();
    await settle();
    expect(shown(harness)).toEqual(stored(harness));
    expect(shown(harness)?.map((message) => message.content)).toEqual(["", "two", "three"]);
    const lastPos = backend.changesIn(one.conversationId).length;
    expect(harness.client.getState().view?.pos).toBe(lastPos);
    // Again: nothing new, so nothing fetched twice.
    socket.down();
    socket.up();
    await settle();
    const afters = backend.callsOf("fetchChanges").map((query) => (query as { after: number }).after);
    expect(afters.at(-1)).toBe(lastPos);
  });

  it("when the stream is longer than a page, then it is fetched page by page to the end", async () => {
    const harness = await openWithPeer();
    const { backend, socket, one } = harness;
    socket.down();
    for (let index = 0; index < 120; index += 1) backend.react(one.id, PEER.id, index % 2 === 0 ? "👍" : "👎", index % 4 < 2);
    backend.edit(one.id, PEER.id, "the end");
    socket.up();
    await settle(40);
    expect(shown(harness)).toEqual(stored(harness));
    expect(backend.callsOf("fetchChanges")).toHaveLength(2);
  });

  it("when the list shows a newer change position than the view holds, then the position check catches up", async () => {
    const harness = await openWithPeer();
    const { backend, clock, one } = harness;
    backend.react(one.id, PEER.id, "🔥");
    await clock.advance(60_000);
    await settle();
    expect(shown(harness)?.[0]?.reactions).toEqual(["🔥1"]);
  });

  it("when the list's last message is edited, then the list shows the new text", async () => {
    const harness = await openWithPeer();
    const { backend, socket, two, client } = harness;
    socket.changed(backend.edit(two.id, ME.id, "two, edited"));
    expect(client.getState().conversations[0]?.lastMessage.content).toBe("two, edited");
  });
});

describe("message lifecycle: late pushes of a message's creation", () => {
  it("when one comes while the conversation's first page is in flight, then the page's newer state wins", async () => {
    const harness = buildClient();
    const { backend, socket, client } = harness;
    const one = backend.store(PEER.id, ME.id, "one");
    backend.store(ME.id, PEER.id, "two");
    backend.remove(one.id, PEER.id);
    socket.up();
    await settle();
    const fetchHistory = backend.api.fetchHistory;
    let release = () => {};
    backend.api.fetchHistory = async (query) => {
      const page = await fetchHistory(query);
      await new Promise<void>((resolve) => (release = resolve));
      return page;
    };
    const opening = client.openConversation(PEER);
    await settle();
    // Held back (a socket server restart forgot it was sent), it comes again as the page is fetched.
    socket.deliver(one);
    release();
    await opening;
    await settle();
    expect(shown(harness)).toEqual(stored(harness));
    expect(shown(harness)?.[0]).toMatchObject({ content: "", deleted: true });
  });

  it("when one comes for a message older than the view holds, then it stays out until its page is loaded, as it is now", async () => {
    const harness = buildClient();
    const { backend, socket, client } = harness;
    const first = backend.store(PEER.id, ME.id, "first");
    for (let index = 0; index < 60; index += 1) backend.store(index % 2 ? ME.id : PEER.id, index % 2 ? PEER.id : ME.id, `n${index}`);
    backend.remove(first.id, PEER.id);
    socket.up();
    await settle();
    await client.openConversation(PEER);
    await settle();
    expect(client.getState().view?.hasOlder).toBe(true);
    const held = client.getState().view?.messages.length;
    socket.deliver(first);
    expect(client.getState().view?.messages.length).toBe(held);
    while (client.getState().view?.hasOlder) await client.loadOlder();
    expect(shown(harness)).toEqual(stored(harness));
  });
});

describe("message lifecycle: actions", () => {
  it("when I edit, react and delete, then the API is called and the answer shows", async () => {
    const harness = await openWithPeer();
    const { client, backend, two } = harness;
    await client.editMessage(two.id, "two, better");
    await client.toggleReaction(two.id, "👍");
    expect(shown(harness)?.[1]).toEqual({ content: "two, better", edited: true, deleted: false, reactions: ["👍1"] });
    await client.toggleReaction(two.id, "👍");
    expect(shown(harness)?.[1]?.reactions).toEqual([]);
    await client.deleteMessage(two.id);
    expect(shown(harness)?.[1]).toEqual({ content: "", edited: true, deleted: true, reactions: [] });
    expect(backend.callsOf("addReaction")).toEqual([{ messageId: two.id, emoji: "👍" }]);
    expect(backend.callsOf("removeReaction")).toEqual([{ messageId: two.id, emoji: "👍" }]);
  });

  it("when my edit's answer comes after a later change was shown, then the answer does not take that change back", async () => {
    const harness = await openWithPeer();
    const { client, backend, socket, two } = harness;
    const edit = backend.api.editMessage;
    let release = () => {};
    backend.api.editMessage = async (messageId, content) => {
      const answer = await edit(messageId, content);
      await new Promise<void>((resolve) => (release = resolve));
      return answer;
    };
    const pending = client.editMessage(two.id, "two, mine");
    await settle();
    // My edit's push, then the peer's reaction, both before my answer.
    socket.changed(backend.changesIn(two.conversationId).at(-1)!);
    socket.changed(backend.react(two.id, PEER.id, "👍"));
    release();
    await pending;
    expect(shown(harness)?.[1]).toEqual({ content: "two, mine", edited: true, deleted: false, reactions: ["👍1"] });
  });

  it("when the conversation is left and opened again while my reaction's answer is late, then the answer does not take back the newer page", async () => {
    const harness = await openWithPeer();
    const { client, backend, two } = harness;
    const add = backend.api.addReaction;
    let release = () => {};
    backend.api.addReaction = async (messageId, emoji) => {
      const answer = await add(messageId, emoji);
      await new Promise<void>((resolve) => (release = resolve));
      return answer;
    };
    const pending = client.toggleReaction(two.id, "👍");
    await settle();
    // Away and back (the pushes missed meanwhile): the new page holds my reaction and the peer's later edit.
    await client.openConversation(OTHER);
    backend.edit(two.id, ME.id, "two, edited later");
    await client.openConversation(PEER);
    await settle();
    expect(shown(harness)?.[1]).toEqual({ content: "two, edited later", edited: true, deleted: false, reactions: ["👍1"] });
    release();
    await pending;
    expect(shown(harness)).toEqual(stored(harness));
  });

  it("when the server refuses an edit, then the error reaches the caller and the text stays", async () => {
    const harness = await openWithPeer();
    const { client, one } = harness;
    await expect(client.editMessage(one.id, "not mine")).rejects.toMatchObject({ code: "not_your_message" });
    expect(shown(harness)?.[0]?.content).toBe("one");
  });

  it("when I reply, then the message goes out with replyToId and the reply bar closes", async () => {
    const harness = await openWithPeer();
    const { client, backend, one } = harness;
    client.replyTo(one.id);
    expect(client.getState().view?.replyingTo).toBe(one.id);
    client.sendMessage("answer");
    expect(client.getState().view?.replyingTo).toBeNull();
    await settle();
    expect(backend.callsOf("sendMessage")).toEqual([expect.objectContaining({ content: "answer", replyToId: one.id })]);
    expect(client.getState().view?.messages.at(-1)?.replyTo).toMatchObject({ id: one.id, excerpt: "one", deleted: false });
  });
});
