/**
 * `npm run test:fast`: the test files that need neither Terraform, the emulator, shellcheck nor
 * checkov (test/tiers.ts lists those that do, each with why). Those tools are blocked here, so
 * a file that needs one and is not listed fails instead of quietly slowing the inner loop.
 */
import { defineConfig } from "vitest/config";
import { SLOW_TEST_FILES } from "./test/tiers";
import base, { TOOLS_BLOCKED } from "./vitest.config";

type Project = { test: { name: string } };

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    exclude: ["**/node_modules/**", ...Object.keys(SLOW_TEST_FILES)],
    // The shared project has the blockers already; the fast files that keep a process of their
    // own (test/tiers.ts OWN_PROCESS_FILES) get them here.
    projects: ((base.test?.projects ?? []) as Project[]).map((project) =>
      project.test.name === "own-process"
        ? { ...project, test: { ...project.test, ...TOOLS_BLOCKED } }
        : project,
    ),
  },
});
