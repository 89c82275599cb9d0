import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Browser tests against the real stack (see e2e/support/stack.ts). They need a prior `next build`.
export default defineConfig({
  // The client core (lib/chat) runs in these tests too, with the app's import paths.
  resolve: { alias: { "@/": fileURLToPath(new URL(".", import.meta.url)) } },
  test: {
    // README_SCREENSHOT=1 renders docs/chat.png instead (npm run screenshot:readme); it is a tool, not a test.
    // UI_SCREENSHOTS=1 renders the review screenshots (e2e/ui-screenshots.shot.ts) into test-results/screenshots.
    include:
      process.env.README_SCREENSHOT === "1"
        ? ["e2e/readme-screenshot.shot.ts"]
        : process.env.UI_SCREENSHOTS === "1"
          ? ["e2e/ui-screenshots.shot.ts"]
          : ["e2e/**/*.e2e.test.ts"],
    // Fails a file whose browsers showed conflicting classes (see e2e/support/browser.ts).
    setupFiles: ["e2e/support/setup.ts"],
    // One stack per file and real ports: run files one after another.
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 90_000,
    teardownTimeout: 30_000,
  },
});
