import { describe, expect, it } from "vitest";
import { ApiError } from "@/lib/client/api";
import { describeGroupError } from "./group-errors";
import { typingLine } from "./typing-indicator";

describe("typingLine", () => {
  it("when one, two or more people type, then it names one or two, and counts three or more", () => {
    expect(typingLine([])).toBeNull();
    expect(typingLine(["Ann"])).toBe("Ann is typing…");
    expect(typingLine(["Ann", "Bob"])).toBe("Ann and Bob are typing…");
    expect(typingLine(["Ann", "Bob", "Cy"])).toBe("3 people are typing…");
  });
});

describe("describeGroupError", () => {
  it("when the API refuses a group action, then its code reads as a sentence", () => {
    expect(describeGroupError(new ApiError(422, "group_too_small", "too small"))).toBe("A group needs at least two other people.");
    expect(describeGroupError(new ApiError(403, "not_owner", "no"))).toBe("Only the group’s owners can do that.");
    expect(describeGroupError(new ApiError(422, "validation_failed", "bad", [{ message: "Name too long" }]))).toBe("Name too long");
    expect(describeGroupError(new Error("offline"))).toBe("offline");
  });
});
