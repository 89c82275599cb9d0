import { defineConfig } from "vitest/config";

// Browser tests against the real stack (see e2e/support/stack.ts). They need a prior `next build`.
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.test.ts"],
    // One stack per file and real ports: run files one after another.
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 90_000,
    teardownTimeout: 30_000,
  },
});
