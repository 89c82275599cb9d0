import { describe, expect, it } from "vitest";
import { notificationBody, notificationSupport } from "./notifications";

describe("notificationBody", () => {
  it("when a message is long or spans lines, then the preview is one line of at most 140 characters", () => {
    expect(notificationBody("Lunch\n\nat   noon?")).toBe("Lunch at noon?");
    const long = notificationBody("ä".repeat(300));
    expect([...long]).toHaveLength(140);
    expect(long.endsWith("…")).toBe(true);
  });
});

describe("notificationSupport", () => {
  it("when there is no Notification API (server, old browsers), then it says unsupported", () => {
    expect(notificationSupport()).toBe("unsupported");
  });
});
