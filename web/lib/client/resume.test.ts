import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { watchResume, type ResumeReason } from "./resume";

// Just enough of a page: window for `online`, document for visibility.
const fakeWindow = new EventTarget();
const fakeDocument = Object.assign(new EventTarget(), { visibilityState: "visible" as DocumentVisibilityState });

function setVisibility(state: DocumentVisibilityState) {
  fakeDocument.visibilityState = state;
  fakeDocument.dispatchEvent(new Event("visibilitychange"));
}

let stop: () => void = () => {};
const reasons: ResumeReason[] = [];

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal("window", fakeWindow);
  vi.stubGlobal("document", fakeDocument);
  fakeDocument.visibilityState = "visible";
  reasons.length = 0;
  stop = watchResume((reason) => reasons.push(reason), { hiddenMs: 15_000, tickMs: 5_000, stallMs: 20_000 });
});

afterEach(() => {
  stop();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("watchResume", () => {
  it("when the browser goes back online, then it resumes", () => {
    fakeWindow.dispatchEvent(new Event("online"));
    expect(reasons).toEqual(["online"]);
  });

  it("when the tab shows again after a while hidden, then it resumes; after a glance away, it does not", () => {
    setVisibility("hidden");
    vi.advanceTimersByTime(3_000);
    setVisibility("visible");
    expect(reasons).toEqual([]);
    setVisibility("hidden");
    vi.advanceTimersByTime(16_000);
    setVisibility("visible");
    expect(reasons).toEqual(["visible"]);
  });

  it("when timers stood still (the machine slept), then it resumes", () => {
    vi.advanceTimersByTime(5_000);
    expect(reasons).toEqual([]);
    // Sleep: the clock jumps while no timer runs.
    vi.setSystemTime(Date.now() + 60_000);
    vi.advanceTimersByTime(5_000);
    expect(reasons).toEqual(["wake"]);
  });

  it("when it stops watching, then nothing more is reported", () => {
    stop();
    fakeWindow.dispatchEvent(new Event("online"));
    expect(reasons).toEqual([]);
  });
});
