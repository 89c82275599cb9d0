import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { applyTheme, readTheme, THEME_SCRIPT } from "./theme";

/** Just what the theme code touches: <html>'s class list and localStorage. */
function fakeBrowser(stored: Record<string, string> = {}) {
  const classes = new Set<string>();
  const storage = new Map(Object.entries(stored));
  const documentElement = {
    classList: {
      add: (name: string) => void classes.add(name),
      remove: (...names: string[]) => names.forEach((name) => classes.delete(name)),
    },
  };
  vi.stubGlobal("document", { documentElement, body: {} });
  // Reading a style is what applies the new colours while transitions are off.
  const styleReads: string[] = [];
  vi.stubGlobal("getComputedStyle", () => {
    styleReads.push([...classes].join(" "));
    return { color: "" };
  });
  vi.stubGlobal("localStorage", {
    getItem: (key: string) => storage.get(key) ?? null,
    setItem: (key: string, value: string) => void storage.set(key, value),
    removeItem: (key: string) => void storage.delete(key),
  });
  return { classes, storage, styleReads };
}

describe("theme", () => {
  beforeEach(() => vi.unstubAllGlobals());
  afterEach(() => vi.unstubAllGlobals());

  it("when nothing was chosen, then the theme is System and the inline script sets no class", () => {
    const { classes } = fakeBrowser();
    new Function(THEME_SCRIPT)();
    expect(readTheme()).toBe("system");
    expect([...classes]).toEqual([]);
  });

  it("when Dark was chosen, then the inline script puts the class on <html> before the first paint", () => {
    const { classes } = fakeBrowser({ theme: "dark" });
    new Function(THEME_SCRIPT)();
    expect([...classes]).toEqual(["dark"]);
    expect(readTheme()).toBe("dark");
  });

  it("when the stored value is not a theme, then it is ignored", () => {
    const { classes } = fakeBrowser({ theme: "dark evil" });
    new Function(THEME_SCRIPT)();
    expect([...classes]).toEqual([]);
    expect(readTheme()).toBe("system");
  });

  it("when a theme is applied, then it replaces the other and is stored; System clears both", () => {
    vi.useFakeTimers();
    try {
      const { classes, storage } = fakeBrowser();
      applyTheme("light");
      applyTheme("dark");
      vi.runAllTimers();
      expect([...classes]).toEqual(["dark"]);
      expect(storage.get("theme")).toBe("dark");
      applyTheme("system");
      vi.runAllTimers();
      expect([...classes]).toEqual([]);
      expect(storage.has("theme")).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it("when a theme is applied, then the new colours are computed with transitions off, and transitions come back after", () => {
    vi.useFakeTimers();
    try {
      const { classes, styleReads } = fakeBrowser();
      applyTheme("dark");
      expect(styleReads).toEqual(["theme-switching dark"]);
      expect(classes.has("theme-switching")).toBe(true);
      vi.runAllTimers();
      expect([...classes]).toEqual(["dark"]);
    } finally {
      vi.useRealTimers();
    }
  });
});
