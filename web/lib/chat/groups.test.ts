import { describe, expect, it } from "vitest";
import { GAP_WAIT_MS } from "./catch-up";
import { conversationById, seenBy, typingIn } from "./chat-state";
import { describeSystemMessage, typingText } from "./format";
import { followedPeers } from "./presence";
import { buildClient, FOURTH, ME, OTHER, PEER, settle } from "./test-support";

type Harness = ReturnType<typeof buildClient>;

const contents = ({ client }: Harness) => client.getState().view?.messages.map((message) => message.content || message.system?.event);

/** A group of me, PEER and OTHER (PEER owns it) with one message, listed and connected. */
async function withGroup(options: { open?: boolean; visible?: boolean } = {}) {
  const harness = buildClient({ visible: options.visible });
  const group = harness.backend.createGroup(PEER.id, "Team", [PEER.id, ME.id, OTHER.id]);
  harness.backend.storeIn(group.id, PEER.id, "hello team");
  harness.socket.up();
  await settle();
  if (options.open) {
    await harness.client.openConversationById(group.id);
    await settle();
  }
  return { ...harness, groupId: group.id };
}

describe("group conversations", () => {
  it("when a listed group is opened, then its timeline (with system messages) loads by conversation id, and its members by detail", async () => {
    const harness = await withGroup({ open: true });
    const { client, backend, groupId } = harness;
    expect(conversationById(client.getState(), groupId)).toMatchObject({ kind: "group", name: "Team", peer: null });
    expect(backend.callsOf("fetchHistory")).toContainEqual({ conversation: groupId, limit: 50 });
    expect(contents(harness)).toEqual(["group_created", "hello team"]);
    const view = client.getState().view!;
    expect(view).toMatchObject({ kind: "group", conversationId: groupId, name: "Team", peer: null, removed: false });
    expect(view.members?.map((member) => [member.user.id, member.role])).toEqual([
      [PEER.id, "owner"],
      [ME.id, "member"],
      [OTHER.id, "member"],
    ]);
    const created = view.messages[0]!;
    expect(describeSystemMessage(created, client.getState().people, ME.id)).toBe('Pat Peer created the group "Team"');
  });

  it("when I write in a group, then it is sent by conversation id and shows once, with the typing stop before it", async () => {
    const harness = await withGroup({ open: true });
    const { client, backend, socket, groupId } = harness;
    client.changeDraft("hi all");
    client.sendMessage("hi all");
    await settle();
    expect(backend.callsOf("sendMessage")).toEqual([{ conversationId: groupId, content: "hi all", clientId: expect.any(String) }]);
    expect(socket.log.typing).toEqual([
      { conversationId: groupId, typing: true },
      { conversationId: groupId, typing: false },
    ]);
    socket.deliver(backend.messagesIn(groupId).at(-1)!);
    expect(contents(harness)).toEqual(["group_created", "hello team", "hi all"]);
    expect(client.getState().outbox).toEqual([]);
  });

  it("when a member writes in a group that is not open, then its unread count rises; opened and visible, it is read by conversation id", async () => {
    const harness = await withGroup();
    const { client, backend, socket, clock, groupId } = harness;
    expect(conversationById(client.getState(), groupId)?.unreadCount).toBe(2);
    socket.deliver(backend.storeIn(groupId, OTHER.id, "news"));
    expect(conversationById(client.getState(), groupId)?.unreadCount).toBe(3);
    await client.openConversationById(groupId);
    await clock.advance(1_000);
    await settle();
    expect(backend.callsOf("markRead")).toEqual([{ conversationId: groupId, seq: 3 }]);
    expect(conversationById(client.getState(), groupId)?.unreadCount).toBe(0);
  });

  it("when members read my message, then 'Seen by' counts them from the read positions", async () => {
    const harness = await withGroup({ open: true });
    const { client, backend, socket, groupId } = harness;
    client.sendMessage("did you see this?");
    await settle();
    const mine = backend.messagesIn(groupId).at(-1)!;
    const seen = () => seenBy(client.getState().view!.messages, ME.id, conversationById(client.getState(), groupId)!.readStates);
    expect(seen()).toBeNull();
    socket.read(backend.readBy(groupId, PEER.id, mine.seq));
    expect(seen()).toEqual({ messageId: mine.id, userIds: [PEER.id] });
    socket.read(backend.readBy(groupId, OTHER.id, mine.seq));
    socket.read(backend.readBy(groupId, OTHER.id, mine.seq - 1)); // behind: nothing moves back
    expect(seen()?.userIds.sort()).toEqual([PEER.id, OTHER.id].sort());
  });

  it("when several members type in a group, then the open view names them all, until each stops; my other tab is not one of them", async () => {
    const harness = await withGroup({ open: true });
    const { client, socket, clock, groupId } = harness;
    socket.typing(PEER.id, true, groupId);
    socket.typing(OTHER.id, true, groupId);
    socket.typing(ME.id, true, groupId);
    socket.typing(FOURTH.id, true); // typing to me directly: not in the group
    const names = () => typingIn(client.getState(), client.getState().view!).map((id) => client.getState().people[id]!.email);
    expect(typingText(typingIn(client.getState(), client.getState().view!).map((id) => (id === PEER.id ? "Pat" : "Oli")))).toBe(
      "Pat and Oli are typing…",
    );
    expect(names()).toEqual([PEER.email, OTHER.email]);
    socket.typing(PEER.id, false, groupId);
    expect(names()).toEqual([OTHER.email]);
    await clock.advance(5_000);
    expect(names()).toEqual([]);
    expect(client.getState().typing).toEqual([]);
  });

  it("when a live group message arrives past a lost push, then the gap is fetched by conversation id", async () => {
    const harness = await withGroup({ open: true });
    const { backend, socket, clock, groupId } = harness;
    backend.storeIn(groupId, OTHER.id, "lost push");
    socket.deliver(backend.storeIn(groupId, PEER.id, "after the gap"));
    await clock.advance(GAP_WAIT_MS);
    await settle();
    expect(contents(harness)).toEqual(["group_created", "hello team", "lost push", "after the gap"]);
    expect(backend.callsOf("fetchHistory").at(-1)).toMatchObject({ conversation: groupId, after: expect.any(String) });
  });

  it("when the group is renamed or gains a member, then the list and the open view follow, and the new member's profile is fetched", async () => {
    const harness = await withGroup({ open: true });
    const { client, backend, socket, groupId } = harness;
    const renamed = backend.rename(groupId, PEER.id, "Dream team");
    socket.conversationUpdated(renamed.update);
    socket.deliver(renamed.message);
    expect(conversationById(client.getState(), groupId)?.name).toBe("Dream team");
    expect(client.getState().view?.name).toBe("Dream team");

    const added = backend.changeMembers(groupId, PEER.id, { add: [FOURTH.id] });
    socket.conversationUpdated(added.update);
    socket.deliver(added.message);
    await settle();
    expect(client.getState().view?.members?.map((member) => member.user.id)).toContain(FOURTH.id);
    expect(conversationById(client.getState(), groupId)?.members.count).toBe(4);
    expect(describeSystemMessage(added.message, client.getState().people, ME.id)).toBe("Pat Peer added Flo");
    // Presence follows the open group's members.
    expect(followedPeers(client.getState())).toEqual([PEER.id, OTHER.id, FOURTH.id].sort());
  });

  it("when the conversation:updated push is lost, then the system message in the timeline still refreshes the members", async () => {
    const harness = await withGroup({ open: true });
    const { client, backend, socket, groupId } = harness;
    const removed = backend.changeMembers(groupId, PEER.id, { remove: [OTHER.id] });
    socket.deliver(removed.message);
    await settle();
    expect(client.getState().view?.members?.map((member) => member.user.id)).toEqual([PEER.id, ME.id]);
  });

  it("when I am removed, then the group leaves my list, the open view says so, and nothing can be sent there", async () => {
    const harness = await withGroup({ open: true });
    const { client, backend, socket, groupId } = harness;
    socket.typing(OTHER.id, true, groupId);
    const removed = backend.changeMembers(groupId, PEER.id, { remove: [ME.id] });
    socket.conversationUpdated(removed.update);
    const state = client.getState();
    expect(conversationById(state, groupId)).toBeUndefined();
    expect(state.view).toMatchObject({ conversationId: groupId, removed: true });
    expect(state.groupTyping).toEqual({});
    client.sendMessage("anyone?");
    expect(client.getState().outbox).toEqual([]);
    // Later messages of the group do not reach the view (a stale push, another tab).
    socket.deliver(backend.messagesIn(groupId).at(-1)!);
    expect(contents(harness)).toEqual(["group_created", "hello team"]);
  });

  it("when I was removed while offline, then the next catch-up's 404 shows it", async () => {
    const harness = await withGroup({ open: true });
    const { client, backend, socket, groupId } = harness;
    socket.down();
    backend.changeMembers(groupId, PEER.id, { remove: [ME.id] });
    socket.up();
    await settle();
    expect(client.getState().view).toMatchObject({ conversationId: groupId, removed: true });
    expect(conversationById(client.getState(), groupId)).toBeUndefined();
  });

  it("when I am added to a group, then the list is fetched again and shows it", async () => {
    const harness = buildClient();
    const { client, backend, socket } = harness;
    socket.up();
    await settle();
    const group = backend.createGroup(PEER.id, "Later", [PEER.id, OTHER.id, FOURTH.id]);
    const added = backend.changeMembers(group.id, PEER.id, { add: [ME.id] });
    socket.conversationUpdated(added.update);
    socket.deliver(added.message);
    await settle();
    expect(conversationById(client.getState(), group.id)).toMatchObject({ name: "Later", kind: "group" });
  });

  it("when I create a group, then it is listed and opened with me as its owner; renaming, adding and removing answer the new detail", async () => {
    const harness = buildClient();
    const { client, backend, socket } = harness;
    socket.up();
    await settle();
    const detail = await client.createGroup({ name: "Book club", memberIds: [PEER.id, OTHER.id] });
    await settle();
    expect(backend.callsOf("createGroup")).toEqual([{ name: "Book club", memberIds: [PEER.id, OTHER.id] }]);
    expect(conversationById(client.getState(), detail.id)).toMatchObject({ role: "owner", members: { count: 3 } });
    expect(client.getState().view).toMatchObject({ kind: "group", conversationId: detail.id, name: "Book club" });

    await client.renameGroup(detail.id, "Books");
    await client.addMembers(detail.id, [FOURTH.id]);
    await client.removeMember(detail.id, OTHER.id);
    expect(conversationById(client.getState(), detail.id)).toMatchObject({ name: "Books", members: { count: 3 } });
    expect(client.getState().view?.members?.map((member) => member.user.id)).toEqual([ME.id, PEER.id, FOURTH.id]);
  });

  it("when an action is refused, then the caller gets the API's error and the state is unchanged", async () => {
    const harness = await withGroup({ open: true });
    const { client, groupId } = harness;
    const before = client.getState().conversations;
    await expect(client.renameGroup(groupId, "Mine now")).rejects.toMatchObject({ status: 403, code: "not_owner" });
    expect(client.getState().conversations).toBe(before);
  });

  it("when I leave a group, then it leaves my list and the open view closes", async () => {
    const harness = await withGroup({ open: true });
    const { client, backend, groupId } = harness;
    await client.leaveGroup(groupId);
    expect(backend.callsOf("removeMember")).toEqual([{ conversationId: groupId, userId: ME.id }]);
    expect(conversationById(client.getState(), groupId)).toBeUndefined();
    expect(client.getState().view).toBeNull();
  });

  it("when a link names a group, then it resolves once the list is in; an unknown group is missing", async () => {
    const harness = buildClient();
    const { client, backend, socket } = harness;
    const group = backend.createGroup(PEER.id, "Linked", [PEER.id, ME.id, OTHER.id]);
    client.showConversation({ kind: "group", conversationId: group.id });
    expect(client.getState().route).toEqual({ target: { kind: "group", conversationId: group.id }, status: "resolving" });
    socket.up();
    await settle();
    expect(client.getState().view).toMatchObject({ kind: "group", conversationId: group.id });
    const unknown = "00000000-0000-4000-8000-0000000000ff";
    client.showConversation({ kind: "group", conversationId: unknown });
    expect(client.getState().route).toEqual({ target: { kind: "group", conversationId: unknown }, status: "missing" });
  });

  it("when a group message arrives while the page is hidden, then the notification names the group and the sender, and opens it", async () => {
    const harness = await withGroup({ visible: false });
    const { client, backend, socket, page, groupId } = harness;
    socket.deliver(backend.storeIn(groupId, PEER.id, "ping"));
    expect(page.shown.map(({ title, body }) => ({ title, body }))).toEqual([{ title: "Team", body: "Pat Peer: ping" }]);
    page.shown[0]!.onClick();
    await settle();
    expect(client.getState().view).toMatchObject({ kind: "group", conversationId: groupId });
  });

  it("when a direct conversation and a group are both open in turn, then each keeps its own draft", async () => {
    const harness = await withGroup();
    const { client, backend, groupId } = harness;
    backend.store(PEER.id, ME.id, "direct");
    await client.openConversation(PEER);
    client.changeDraft("to Pat");
    await client.openConversationById(groupId);
    client.changeDraft("to the team");
    expect(client.draftFor(PEER.id)).toBe("to Pat");
    expect(client.draftFor(`g:${groupId}`)).toBe("to the team");
  });
});
