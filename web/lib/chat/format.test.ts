import { describe, expect, it } from "vitest";
import { conversationProfile, conversationTitle, describeSystemMessage, listNames, typingText } from "./format";
import type { SystemEvent } from "@/lib/types";
import { buildChatMessage, ME, OTHER, PEER } from "./test-support";

const people = { [ME.id]: ME, [PEER.id]: PEER, [OTHER.id]: OTHER };
const system = (info: Partial<SystemEvent>) =>
  buildChatMessage({
    kind: "system",
    content: "",
    recipientId: null,
    system: { event: "member_added", actorId: PEER.id, userIds: [], name: null, ...info },
  });

describe("group wording", () => {
  it("when people are listed, then two join with 'and', and past three the rest are counted", () => {
    expect(listNames([])).toBe("");
    expect(listNames(["Ann"])).toBe("Ann");
    expect(listNames(["Ann", "Bob"])).toBe("Ann and Bob");
    expect(listNames(["Ann", "Bob", "Cy"])).toBe("Ann, Bob and Cy");
    expect(listNames(["Ann", "Bob", "Cy", "Dee", "Eve"])).toBe("Ann, Bob and 3 others");
  });

  it("when members type, then one 'is typing', several 'are typing', nobody nothing", () => {
    expect(typingText([])).toBeNull();
    expect(typingText(["Ann"])).toBe("Ann is typing…");
    expect(typingText(["Ann", "Bob"])).toBe("Ann and Bob are typing…");
  });

  it("when a system message is shown, then each event reads as a sentence, with me as 'You' and strangers as 'Someone'", () => {
    expect(describeSystemMessage(system({ event: "group_created", name: "Team" }), people, ME.id)).toBe(
      'Pat Peer created the group "Team"',
    );
    expect(describeSystemMessage(system({ event: "member_added", userIds: [ME.id, OTHER.id] }), people, ME.id)).toBe(
      "Pat Peer added You and other",
    );
    expect(describeSystemMessage(system({ event: "member_removed", userIds: ["unknown"] }), people, ME.id)).toBe(
      "Pat Peer removed Someone",
    );
    expect(describeSystemMessage(system({ event: "member_left", actorId: OTHER.id, userIds: [OTHER.id] }), people)).toBe("other left");
    expect(describeSystemMessage(system({ event: "renamed", actorId: ME.id, name: "New" }), people, ME.id)).toBe(
      'You renamed the group to "New"',
    );
    expect(describeSystemMessage(system({ event: "owner_changed", userIds: [OTHER.id] }), people)).toBe("other is now the owner");
  });

  it("when a conversation is shown as a card, then a group goes by its name and a direct one by the peer", () => {
    const group = { id: "g1", kind: "group" as const, name: "Team", peer: null };
    expect(conversationTitle(group)).toBe("Team");
    expect(conversationTitle({ ...group, name: " " })).toBe("Group");
    expect(conversationProfile(group)).toEqual({ id: "g1", email: "", displayName: "Team" });
    expect(conversationProfile({ id: "c1", kind: "direct", name: null, peer: PEER })).toBe(PEER);
  });
});
