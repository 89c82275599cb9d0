import { describe, expect, it } from "vitest";
import { loginSchema, safeNextPath } from "./auth";

describe("safeNextPath", () => {
  it.each([
    ["/chat", "/chat"],
    ["/chat?with=abc#end", "/chat?with=abc#end"],
    ["/a/../chat", "/chat"],
  ])("when next is the same-site path %j, then it is kept as %j", (input, expected) => {
    expect(safeNextPath(input)).toBe(expected);
  });

  it.each([
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/chat",
    "http:evil.example",
    "javascript:alert(1)",
    "chat",
    "/\tevil",
    "/\n/evil.example",
    "",
    "x".repeat(3000),
  ])("when next is %j, then it falls back to /chat", (input) => {
    expect(safeNextPath(input)).toBe("/chat");
  });

  it("when next is not a string, then it falls back", () => {
    expect(safeNextPath(undefined)).toBe("/chat");
    expect(safeNextPath({ toString: () => "//evil" })).toBe("/chat");
  });
});

describe("loginSchema", () => {
  it("when the email has spaces and capitals, then it is trimmed and lower-cased", () => {
    expect(loginSchema.parse({ email: " Ann@Example.COM " })).toEqual({ email: "ann@example.com", next: "/chat" });
  });
});
