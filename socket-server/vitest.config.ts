import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Every test starts a real server on port 0, so files can run in parallel.
    testTimeout: 5_000,
    hookTimeout: 5_000,
  },
});
