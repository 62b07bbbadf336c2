/**
 * Setup file of `npm run test:fast` (vitest.fast.config.ts): the emulator cannot start, as
 * Terraform and shellcheck cannot run (their stand-ins in this folder come first on PATH). So a
 * test file that needs one of them fails in the fast set with a message saying where to declare
 * it, instead of slowing the fast set down unnoticed.
 */
import { vi } from "vitest";

vi.mock(import("../../../app/local/emulator"), async (importOriginal) => ({
  ...(await importOriginal()),
  startEmulator: async () => {
    throw new Error(
      "test:fast: this test starts the AWS emulator, which the fast set does not provide; list its file in test/tiers.ts",
    );
  },
}));
