/**
 * `npm run test:fast`: the test files that need neither Terraform, the emulator, shellcheck nor
 * checkov (test/tiers.ts lists those that do, each with why). Those tools are blocked here, so
 * a file that needs one and is not listed fails instead of quietly slowing the inner loop.
 */
import { defineConfig, mergeConfig } from "vitest/config";
import { SLOW_TEST_FILES } from "./test/tiers";
import base, { TOOLS_BLOCKED } from "./vitest.config";

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: ["**/node_modules/**", ...Object.keys(SLOW_TEST_FILES)],
      ...TOOLS_BLOCKED,
    },
  }),
);
