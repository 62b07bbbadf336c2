import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Terraform and the emulator are real processes: give them time, and keep the two cores for them.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    maxWorkers: 2,
    coverage: {
      provider: "v8",
      include: ["app/**/*.ts", "infra/**/*.ts"],
      // Per-file table in the log, totals in coverage/coverage-summary.json.
      reporter: ["text", "text-summary", "json-summary"],
    },
  },
});
