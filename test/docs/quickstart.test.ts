/**
 * The README's quick start is what CI runs. `.ci/run` works on a fresh clone (what is committed,
 * nothing else: no node_modules, no emulator venv), so running the quick start's commands there,
 * first and in order, is the quick start as a new user meets it: `npm run demo` must prepare
 * itself (npm ci, the pinned emulator from PyPI) before anything else has installed a thing, and
 * `npm test` is the README's test command. This file checks that the two stay the same commands;
 * `.ci/run` checks the demo's output (installed by itself; planned, applied, destroyed).
 *
 * Running the quick start inside `npm test` instead (a clone, its own npm ci and demo, a test
 * slice) took 405 s of the suite's 1,255 s on 2 cores and repeated what CI does anyway.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The commands of the first shell block under "## Quick start", without their comments. */
function quickStartCommands(readme: string): string[] {
  const section = readme.split(/^## /m).find((s) => s.startsWith("Quick start"));
  if (!section) throw new Error('README.md has no "## Quick start" section');
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block?.[1]) throw new Error("the Quick start section has no ```sh block");
  return block[1]
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** The commands a CI script runs, in order, as lines without comments, `echo`s or shell syntax. */
function ciCommands(script: string): string[] {
  return script
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => /^(npm|bash|npx|node) /.test(line))
    .map((line) => line.replace(/\s*(2>&1)?\s*\|.*$/, ""));
}

describe("the README's quick start", () => {
  const commands = quickStartCommands(readFileSync(join(ROOT, "README.md"), "utf8"));
  const ci = ciCommands(readFileSync(join(ROOT, ".ci/run"), "utf8"));

  it("is two commands: the demo, then the tests", () => {
    expect(commands).toEqual(["npm run demo", "npm test"]);
  });

  it("is what CI runs on its fresh clone: the demo before anything installed, the tests last", () => {
    expect(ci[0]).toBe(commands[0]);
    expect(ci.at(-1)).toBe(commands[1]);
    expect(ci.filter((command) => commands.includes(command))).toEqual(commands);
  });

  it("reads CI scripts the way they run (table)", () => {
    const cases: Array<[string, string[]]> = [
      ["npm run demo 2>&1 | tee log\nnpm test\n", ["npm run demo", "npm test"]],
      ['echo "== npm test"\n# npm ci\nbash scripts/x.sh  # why\n', ["bash scripts/x.sh"]],
      ["npm ci --no-audit\n", ["npm ci --no-audit"]],
    ];
    for (const [script, expected] of cases) expect(ciCommands(script), script).toEqual(expected);
  });
});
