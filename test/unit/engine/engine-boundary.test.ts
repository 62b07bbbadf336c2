/**
 * The run engine (app/engine) is GitHub-free: the bot, the Action and the CLI adapt it, so it
 * imports nothing of theirs (check-run names, comments, Probot, Octokit). What GitHub calls a
 * thing reaches the engine as a plain option, e.g. the plan's `fullPlanLocation`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ENGINE = resolve("app/engine");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith(".ts")
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Every module specifier a file imports or re-exports, resolved when relative. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/\bfrom\s+"([^"]+)"|\bimport\s*\(\s*"([^"]+)"\s*\)/g)].map(
    (match) => match[1] ?? match[2] ?? "",
  );
  return specifiers.map((specifier) =>
    specifier.startsWith(".")
      ? relative(resolve("app"), resolve(file, "..", specifier))
      : specifier,
  );
}

describe("the run engine", () => {
  it("imports nothing of the bot, the front doors or GitHub", () => {
    const files = sources(ENGINE);
    expect(files.length).toBeGreaterThan(20);
    const offending = files.flatMap((file) =>
      importsOf(file)
        .filter(
          (target) =>
            !target.startsWith("engine/") &&
            !target.startsWith("..") && // infra/, outside app/
            (target.startsWith("bot/") ||
              target.startsWith("action/") ||
              target.startsWith("cli/") ||
              target === "check-names" ||
              /^(probot|@octokit\/)/.test(target)),
        )
        .map((target) => `${relative(resolve("."), file)} imports ${target}`),
    );
    expect(offending).toEqual([]);
  });
});
