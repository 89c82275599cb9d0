import { describe, expect, it } from "vitest";
import { conversationPath, peerIdFromPath, targetFromPath } from "./use-conversation-url";

describe("conversation URLs", () => {
  it("when a path names a conversation, then its peer id is read back, and the list path names none", () => {
    const id = "00000000-0000-4000-8000-000000000002";
    expect(peerIdFromPath(conversationPath({ kind: "direct", peerId: id }))).toBe(id);
    expect(peerIdFromPath(`/chat/${id}/`)).toBe(id);
    expect(conversationPath(null)).toBe("/chat");
    expect(peerIdFromPath("/chat")).toBeNull();
    expect(peerIdFromPath("/chat/a/b")).toBeNull();
    expect(peerIdFromPath("/login")).toBeNull();
  });

  it("when an id needs escaping, then it round-trips, and a broken escape is kept as written", () => {
    expect(peerIdFromPath(conversationPath({ kind: "direct", peerId: "a b/c" }))).toBe("a b/c");
    expect(peerIdFromPath("/chat/%E0%A4%A")).toBe("%E0%A4%A");
  });

  it("when a path names a group, then its conversation id is read back, and a direct link stays a peer", () => {
    const id = "00000000-0000-4000-8000-0000000000c1";
    expect(conversationPath({ kind: "group", conversationId: id })).toBe(`/chat/g/${id}`);
    expect(targetFromPath(`/chat/g/${id}`)).toEqual({ kind: "group", conversationId: id });
    expect(targetFromPath(`/chat/g/${id}/`)).toEqual({ kind: "group", conversationId: id });
    expect(peerIdFromPath(`/chat/g/${id}`)).toBeNull();
    expect(targetFromPath(`/chat/${id}`)).toEqual({ kind: "direct", peerId: id });
    expect(targetFromPath(`/chat/g/${id}/more`)).toBeNull();
  });
});
