"use client";

import { lazy, Suspense, useRef, useState } from "react";
import { ThemeButton } from "./theme-button";

// The menu (Radix) is not needed for the first paint: fetched when the user points at the button or focuses it.
const loadMenu = () => import("./theme-menu");
const ThemeMenu = lazy(loadMenu);

/**
 * The theme button of the app bar. Until it is used, a plain button that looks the same; the
 * menu module then takes its place (keeping the focus, and opening if it was clicked).
 */
export function ThemeToggle() {
  const [wanted, setWanted] = useState<{ open: boolean; focus: boolean } | null>(null);
  const placeholderRef = useRef<HTMLButtonElement>(null);
  const use = (open: boolean) => {
    void loadMenu();
    setWanted({ open, focus: document.activeElement === placeholderRef.current });
  };

  const placeholder = (
    <ThemeButton
      ref={placeholderRef}
      aria-haspopup="menu"
      onPointerEnter={() => void loadMenu()}
      onFocus={() => void loadMenu()}
      onClick={() => use(true)}
      onKeyDown={(event) => {
        if (event.key === "ArrowDown" || event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          use(true);
        }
      }}
    />
  );
  if (!wanted) return placeholder;
  return (
    <Suspense fallback={placeholder}>
      <ThemeMenu defaultOpen={wanted.open} focusOnMount={wanted.focus} />
    </Suspense>
  );
}
