import { describe, expect, it } from "vitest";
import { conversationPath, peerIdFromPath } from "./use-conversation-url";

describe("conversation URLs", () => {
  it("when a path names a conversation, then its peer id is read back, and the list path names none", () => {
    const id = "00000000-0000-4000-8000-000000000002";
    expect(peerIdFromPath(conversationPath(id))).toBe(id);
    expect(peerIdFromPath(`/chat/${id}/`)).toBe(id);
    expect(conversationPath(null)).toBe("/chat");
    expect(peerIdFromPath("/chat")).toBeNull();
    expect(peerIdFromPath("/chat/a/b")).toBeNull();
    expect(peerIdFromPath("/login")).toBeNull();
  });

  it("when an id needs escaping, then it round-trips, and a broken escape is kept as written", () => {
    expect(peerIdFromPath(conversationPath("a b/c"))).toBe("a b/c");
    expect(peerIdFromPath("/chat/%E0%A4%A")).toBe("%E0%A4%A");
  });
});
