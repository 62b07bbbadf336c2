/**
 * The README's quick start, run as a new user would: a fresh `git clone` of this repository (what
 * is committed, nothing else: no node_modules, no emulator venv), then the two commands the
 * README gives, in order. Each prepares itself (npm ci, the pinned emulator from PyPI), so this
 * also proves the quick start needs nothing that is not written down.
 *
 * `npm test` in the clone is run with a path filter (`npm test -- test/unit/definitions`): the
 * same script (prepare, type-check, lint, vitest), on a slice, since the whole suite is this
 * suite. The whole suite on a fresh clone is what CI (.ci/run) runs.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

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

function run(
  command: string,
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; output: string; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", command], {
      cwd,
      // A user's shell: none of this test run's vitest settings leak into the clone's run.
      env: Object.fromEntries(
        Object.entries(process.env).filter(([key]) => !/^(VITEST|TEST|NODE_ENV)/.test(key)),
      ),
      detached: true,
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs / 1000} s)`;
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      // Colours off: CI may force them on, and the assertions read the words.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences
      const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
      resolve({ code, output: plain, seconds: (Date.now() - started) / 1000 });
    });
  });
}

describe("the README's quick start on a fresh clone", () => {
  const commands = quickStartCommands(readFileSync(join(ROOT, "README.md"), "utf8"));
  let clone: string;

  beforeAll(async () => {
    clone = join(mkdtempSync(join(tmpdir(), "k3s-bot-quickstart-")), "k3s-bot");
    const cloned = await run(`git clone --quiet --no-hardlinks "${ROOT}" "${clone}"`, ROOT, 60_000);
    expect(cloned.code, cloned.output).toBe(0);
  }, 120_000);

  afterAll(() => {
    if (clone) rmSync(join(clone, ".."), { recursive: true, force: true });
  });

  it("is two commands: the demo, then the tests", () => {
    expect(commands).toEqual(["npm run demo", "npm test"]);
  });

  it(
    "npm run demo plans, applies and destroys the example cluster against the emulator",
    async () => {
      const demo = await run("npm run demo", clone, 25 * 60_000);
      expect(demo.code, demo.output.slice(-4000)).toBe(0);
      // It installed what it needed by itself.
      expect(demo.output).toContain("prepare: npm ci");
      expect(demo.output).toMatch(/moto emulator installed in .*\.venv-moto/);
      // The comments the bot would post, and the three steps done.
      expect(demo.output).toContain("### k3s plan · `dev`");
      expect(demo.output).toMatch(/Plan: \d+ to add, 0 to change, 0 to destroy/);
      expect(demo.output).toContain("applying exactly that saved plan");
      expect(demo.output).toContain("Done: planned, applied and destroyed");
      console.info(`quick start: npm run demo took ${demo.seconds.toFixed(0)} s on a fresh clone`);
    },
    30 * 60_000,
  );

  it(
    "npm test runs (prepare, type-check, lint, vitest) in the clone",
    async () => {
      const test = await run("npm test -- test/unit/definitions", clone, 15 * 60_000);
      expect(test.code, test.output.slice(-4000)).toBe(0);
      expect(test.output).toContain("tsc --noEmit");
      expect(test.output).toContain("biome check");
      expect(test.output).toMatch(/Tests\s+\d+ passed/);
      expect(test.output).not.toMatch(/\bfailed\b/);
    },
    20 * 60_000,
  );
});
