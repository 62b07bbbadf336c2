import { delimiter, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { OWN_PROCESS_FILES, SLOW_TEST_FILES } from "./test/tiers";

const ROOT = fileURLToPath(new URL(".", import.meta.url));

/** Seconds a file is known to take (test/tiers.ts), 0 when it is not one of the long ones. */
export function knownSeconds(moduleId: string): number {
  return SLOW_TEST_FILES[relative(ROOT, moduleId)]?.seconds ?? 0;
}

function mostlyWaits(moduleId: string): boolean {
  return SLOW_TEST_FILES[relative(ROOT, moduleId)]?.waits === true;
}

/**
 * vitest's own order (failed first, then longest by its cache, or largest file when it has no
 * cache, as on a fresh clone), with the files known to take minutes moved to the front, longest
 * first: a 5-minute file that starts last keeps the run going on one core after everything else
 * has finished. Of the files that mostly wait (test/tiers.ts, `waits`), only as many start first
 * as leave one worker to the others; the rest follow the other long files, so that the workers
 * are never all waiting on the emulator together while the cores idle.
 */
export class LongestKnownFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = (await super.sort(files))
      .map((file, index) => ({ file, index, seconds: knownSeconds(file.moduleId) }))
      .sort((a, b) => b.seconds - a.seconds || a.index - b.index);
    const waiting = ordered.filter(({ file }) => mostlyWaits(file.moduleId));
    const first = waiting.slice(0, Math.max(1, this.ctx.config.maxWorkers - 1));
    const later = waiting.slice(first.length);
    const long = ordered.filter(({ file, seconds }) => seconds > 0 && !mostlyWaits(file.moduleId));
    const rest = ordered.filter(
      ({ file, seconds }) => seconds === 0 && !mostlyWaits(file.moduleId),
    );
    return [...first, ...long, ...later, ...rest].map(({ file }) => file);
  }
}

/**
 * The files that need a tool or mock a module, each in a fresh process; the others (the fast set,
 * Node only) share their worker processes, so each worker loads vitest, the stack's constructs,
 * the AWS SDK and Probot once rather than once per file. test/unit, test/engine and test/docs
 * together took 116 s of CPU isolated and 80 s shared, side by side (2026-11-29).
 */
const OWN_PROCESS = [...Object.keys(SLOW_TEST_FILES), ...Object.keys(OWN_PROCESS_FILES)];

/**
 * The fast set's stand-ins for Terraform, shellcheck, checkov and the emulator, which fail and
 * say to list the file in test/tiers.ts. The shared project has them in `npm test` too, so a
 * fast file that starts a tool fails there, not only in `npm run test:fast`.
 */
const BLOCKERS = fileURLToPath(new URL("./test/support/fast-tier", import.meta.url));
export const TOOLS_BLOCKED = {
  setupFiles: ["test/support/fast-tier/setup.ts"],
  env: {
    PATH: `${BLOCKERS}${delimiter}${process.env.PATH ?? ""}`,
    K3S_BOT_TERRAFORM: `${BLOCKERS}/terraform`,
  },
};

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "shared",
          include: ["test/**/*.test.ts"],
          exclude: ["**/node_modules/**", ...OWN_PROCESS],
          isolate: false,
          ...TOOLS_BLOCKED,
        },
      },
      { extends: true, test: { name: "own-process", include: OWN_PROCESS, isolate: true } },
    ],
    // Terraform and the emulator are real processes: give them time.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    // Four files at once on the 2 cores CI has: the emulator files spend most of their time in
    // the AWS provider's waiters (a load balancer about 60 s, a database about 80 s to create and
    // 60 s to delete), idle. test/emulator/cluster-dev.test.ts took 349 s of wall time and 100 s
    // of CPU (user 86 s, sys 14 s; /usr/bin/time, 2026-11-29). Side by side on 2026-11-29, the
    // whole suite took 824 s with 3 workers, 739 s with 4 and 734 s with 5, where the cores were
    // busy all along: a fifth worker only adds contention. `npx vitest --maxWorkers=N` overrides.
    maxWorkers: 4,
    sequence: { sequencer: LongestKnownFirst },
    coverage: {
      provider: "v8",
      include: ["app/**/*.ts", "infra/**/*.ts"],
      // Per-file table in the log, totals in coverage/coverage-summary.json.
      reporter: ["text", "text-summary", "json-summary"],
    },
  },
});
