import { afterAll, expect } from "vitest";
import { takeClassConflicts } from "./browser";

// Runs after the file's own afterAll hooks (after-hooks run in reverse order of registration), so
// its browsers are closed and its servers stopped by then.
afterAll(() => {
  expect(takeClassConflicts(), "class lists that tailwind-merge would change: cn() does not merge (lib/utils.ts)").toEqual([]);
});
