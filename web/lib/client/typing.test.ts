import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createTypingSender, createTypingWatcher } from "./typing";

const PEER = "peer-1";
const OTHER = "peer-2";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("createTypingSender", () => {
  function setup() {
    const sent: [string, boolean][] = [];
    const sender = createTypingSender({ emit: (to, typing) => sent.push([to, typing]), throttleMs: 2_000, idleMs: 3_000 });
    return { sent, sender };
  }

  it("when the user keeps typing, then typing:start goes out at most once per 2 s", () => {
    const { sent, sender } = setup();
    for (let i = 0; i < 10; i += 1) {
      sender.input(PEER, "h".repeat(i + 1));
      vi.advanceTimersByTime(500); // 5 s of steady typing
    }
    expect(sent).toEqual([
      [PEER, true],
      [PEER, true],
      [PEER, true],
    ]);
  });

  it("when the user stops typing for 3 s, then typing:stop goes out once", () => {
    const { sent, sender } = setup();
    sender.input(PEER, "hel");
    vi.advanceTimersByTime(2_999);
    expect(sent).toEqual([[PEER, true]]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([
      [PEER, true],
      [PEER, false],
    ]);
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(2);
  });

  it("when the draft is cleared or sent, then typing:stop goes out at once, and typing again starts again", () => {
    const { sent, sender } = setup();
    sender.input(PEER, "hi");
    sender.input(PEER, "");
    sender.input(PEER, "h");
    sender.stop(); // sent
    sender.stop(); // blur after sending: nothing more
    expect(sent).toEqual([
      [PEER, true],
      [PEER, false],
      [PEER, true],
      [PEER, false],
    ]);
  });

  it("when nothing was typed, then blur sends nothing", () => {
    const { sent, sender } = setup();
    sender.stop();
    sender.input(PEER, "   ");
    expect(sent).toEqual([]);
  });

  it("when the user switches to another conversation mid-draft, then the first peer gets typing:stop", () => {
    const { sent, sender } = setup();
    sender.input(PEER, "hi");
    sender.input(OTHER, "yo");
    expect(sent).toEqual([
      [PEER, true],
      [PEER, false],
      [OTHER, true],
    ]);
  });
});

describe("createTypingWatcher", () => {
  function setup() {
    const typing = new Set<string>();
    const watcher = createTypingWatcher({
      onChange: (from, on) => (on ? typing.add(from) : typing.delete(from)),
      timeoutMs: 5_000,
    });
    return { typing, watcher };
  }

  it("when a peer starts typing, then the indicator shows, and hides after 5 s without an update", () => {
    const { typing, watcher } = setup();
    watcher.update(PEER, true);
    expect(typing.has(PEER)).toBe(true);
    vi.advanceTimersByTime(4_000);
    watcher.update(PEER, true); // the throttled repeat keeps it alive
    vi.advanceTimersByTime(4_999);
    expect(typing.has(PEER)).toBe(true);
    vi.advanceTimersByTime(1);
    expect(typing.has(PEER)).toBe(false);
  });

  it("when typing:stop arrives, then the indicator hides at once", () => {
    const { typing, watcher } = setup();
    watcher.update(PEER, true);
    watcher.update(OTHER, true);
    watcher.update(PEER, false);
    expect([...typing]).toEqual([OTHER]);
  });

  it("when the connection drops, then every indicator hides", () => {
    const { typing, watcher } = setup();
    watcher.update(PEER, true);
    watcher.update(OTHER, true);
    watcher.clear();
    expect(typing.size).toBe(0);
  });
});
