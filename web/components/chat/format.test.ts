import { describe, expect, it } from "vitest";
import { displayName, emailName, formatLastSeen } from "./format";
import { presenceLabel } from "./presence";

const NOW = new Date(2024, 4, 15, 15, 0, 0); // Wed 15 May 2024, 15:00 local time
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();

describe("displayName", () => {
  it("when a user has no display name, then the email's local part stands in", () => {
    expect(displayName({ email: "ann.lee@example.com", displayName: null })).toBe("ann.lee");
    expect(displayName({ email: "ann.lee@example.com", displayName: "  " })).toBe("ann.lee");
    expect(displayName({ email: "ann.lee@example.com", displayName: "Ann Lee" })).toBe("Ann Lee");
    expect(emailName("odd")).toBe("odd");
  });
});

describe("formatLastSeen", () => {
  it("when the user left moments or minutes ago, then it says so", () => {
    expect(formatLastSeen(ago(0.2), NOW)).toBe("last seen just now");
    expect(formatLastSeen(ago(5), NOW)).toBe("last seen 5 min ago");
    expect(formatLastSeen(ago(59), NOW)).toBe("last seen 59 min ago");
  });

  it("when the user left hours ago, then hours, then the time of day", () => {
    expect(formatLastSeen(ago(61), NOW)).toBe("last seen 1 hour ago");
    expect(formatLastSeen(ago(150), NOW)).toBe("last seen 2 hours ago");
    expect(formatLastSeen(ago(14 * 60), NOW)).toMatch(/^last seen today at /);
  });

  it("when the user left on an earlier day, then yesterday, a weekday, or a date", () => {
    expect(formatLastSeen(ago(20 * 60), NOW)).toMatch(/^last seen yesterday at /);
    expect(formatLastSeen(ago(3 * 24 * 60), NOW)).toMatch(/^last seen [A-Z][a-z]+day$/);
    expect(formatLastSeen(ago(30 * 24 * 60), NOW)).not.toMatch(/ago|today|yesterday/);
  });
});

describe("presenceLabel", () => {
  it("when online, offline with a time, or unknown, then Online, Last seen…, or nothing", () => {
    expect(presenceLabel({ userId: "u", online: true, lastSeenAt: null }, NOW)).toBe("Online");
    expect(presenceLabel({ userId: "u", online: false, lastSeenAt: ago(5) }, NOW)).toBe("Last seen 5 min ago");
    expect(presenceLabel({ userId: "u", online: false, lastSeenAt: null }, NOW)).toBeNull();
    expect(presenceLabel(undefined, NOW)).toBeNull();
  });
});
