/** The colour theme: the user's choice, or the system setting. Stored in this browser only. */
export type Theme = "light" | "dark" | "system";

export const THEMES: readonly Theme[] = ["light", "dark", "system"];
const STORAGE_KEY = "theme";

/**
 * Runs inline in <head> before the first paint (with the page's CSP nonce), so a chosen theme
 * never flashes the other one. "system" sets no class: the stylesheet follows the media query.
 */
export const THEME_SCRIPT = `try{var t=localStorage.getItem("${STORAGE_KEY}");if(t==="light"||t==="dark")document.documentElement.classList.add(t)}catch(e){}`;

export function readTheme(): Theme {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return stored === "light" || stored === "dark" ? stored : "system";
  } catch {
    return "system";
  }
}

export function applyTheme(theme: Theme): void {
  const root = document.documentElement;
  // Without this, every control with a colour transition fades on its own clock: for a moment the
  // page shows dark text on light fields. Switch in one frame, as next-themes' disableTransitionOnChange does.
  root.classList.add("theme-switching");
  root.classList.remove("light", "dark");
  if (theme !== "system") root.classList.add(theme);
  void getComputedStyle(document.body).color; // applies the new colours while transitions are off
  setTimeout(() => root.classList.remove("theme-switching"), 0);
  try {
    if (theme === "system") localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // Storage blocked (private mode): the choice lasts until the page is left.
  }
}
