import { describe, expect, it } from "vitest";
import { buildClient, createMemoryKeyValue, OTHER, PEER, settle } from "./test-support";

describe("drafts", () => {
  it("when I switch conversations, then each keeps its own draft, and sending clears it", async () => {
    const { client, socket } = buildClient();
    socket.up();
    await client.openConversation(PEER);
    client.changeDraft("half a thought");
    await client.openConversation(OTHER);
    client.changeDraft("for other");
    expect(client.draftFor(PEER.id)).toBe("half a thought");
    expect(client.draftFor(OTHER.id)).toBe("for other");
    client.sendMessage("for other");
    expect(client.draftFor(OTHER.id)).toBe("");
    expect(client.draftFor(PEER.id)).toBe("half a thought");
  });

  it("when the tab reloads, then the drafts are still there; signing out deletes them", async () => {
    const session = createMemoryKeyValue();
    const first = buildClient({ session });
    first.socket.up();
    await first.client.openConversation(PEER);
    first.client.changeDraft("survives a reload");
    first.stop();

    const second = buildClient({ session });
    expect(second.client.draftFor(PEER.id)).toBe("survives a reload");
    second.socket.up();
    await second.client.signOut();
    await settle();
    expect(second.client.draftFor(PEER.id)).toBe("");
    expect(session.entries.size).toBe(0);
  });
});
