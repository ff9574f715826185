import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "bench/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: "forks",
    // Two cores: the end-to-end suites each run their own worker pools and ffmpeg.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
