"use client";

import { lazy, Suspense } from "react";
import { useMenuOnDemand } from "@/components/ui/on-demand";
import { ThemeButton } from "./theme-button";

// The menu (Radix) is not needed for the first paint: fetched when the user points at the button or focuses it.
const loadMenu = () => import("./theme-menu");
const ThemeMenu = lazy(loadMenu);

/**
 * The theme button of the app bar. Until it is used, a plain button that looks the same; the
 * menu module then takes its place, opened.
 */
export function ThemeToggle() {
  const { opened, triggerProps } = useMenuOnDemand(loadMenu);
  const placeholder = <ThemeButton {...triggerProps} />;
  return <Suspense fallback={placeholder}>{opened ? <ThemeMenu {...opened} /> : placeholder}</Suspense>;
}
