import { clsx, type ClassValue } from "clsx";

/**
 * Joins class names (clsx). It does not merge them, so a class meant to replace one a component
 * sets must not set the same thing (`px-2` then `px-4` on one element: the stylesheet's order
 * decides, not this call). The browser tests fail on a page that shows such a pair
 * (`findClassConflicts` in e2e/support/browser.ts). tailwind-merge would resolve the pair here, at
 * ~8 kB gzipped on every page.
 */
export function cn(...inputs: ClassValue[]): string {
  return clsx(inputs);
}
