/**
 * `npm run test:fast`: the test files that need neither Terraform, the emulator, shellcheck nor
 * checkov (test/tiers.ts lists those that do, each with why). Those tools are blocked here, so
 * a file that needs one and is not listed fails instead of quietly slowing the inner loop.
 */
import { delimiter } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, mergeConfig } from "vitest/config";
import { SLOW_TEST_FILES } from "./test/tiers";
import base from "./vitest.config";

const blockers = fileURLToPath(new URL("./test/support/fast-tier", import.meta.url));

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: ["**/node_modules/**", ...Object.keys(SLOW_TEST_FILES)],
      setupFiles: ["test/support/fast-tier/setup.ts"],
      env: {
        PATH: `${blockers}${delimiter}${process.env.PATH ?? ""}`,
        K3S_BOT_TERRAFORM: `${blockers}/terraform`,
      },
    },
  }),
);
