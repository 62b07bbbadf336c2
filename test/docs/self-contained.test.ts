/**
 * The repository stands on its own: no source, test, script or doc points the reader at a
 * document that is not in it (design notes, notes on GitHub or on the emulator kept elsewhere,
 * numbered issues of a tracker). Rationale goes into docs/, and a comment says the reason itself.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Folders and files written by hand; generated, installed and scratch folders are left out. */
const SCANNED = [
  "app",
  "infra",
  "test",
  "bench",
  "scripts",
  "docs",
  "templates",
  "workflows",
  "examples",
  "schema",
  "bin",
  "README.md",
  "Dockerfile",
  "app.yml",
  "package.json",
  "vitest.config.ts",
  "vitest.fast.config.ts",
];
const TEXT = /\.(ts|mts|mjs|js|json|md|ya?ml|sh|py|txt|tpl|conf|service)$|^[^.]+$|Dockerfile$/;

/**
 * The notes kept outside the repository, by name. Spelled in lower case and upper-cased here, so
 * that this file, which is scanned too, cites none of them itself.
 */
const [designNotes, githubNotes, emulatorNotes] = ["design", "github", "emulator"].map((n) =>
  n.toUpperCase(),
);

/** Each a way to cite a document outside the repository. */
const OUTSIDE_CITATIONS: readonly RegExp[] = [
  new RegExp(`\\b${designNotes}(\\.md)?\\s*§`),
  new RegExp(`\\b(${designNotes}|${githubNotes}|${emulatorNotes})\\.md\\b`),
  // Our own tracker's numbers ("issue <n>, item <m>"). An upstream issue is cited as its
  // repository and number ("docker/buildx issue #510"), which a reader can look up: "#" passes.
  /\bissue\s+\d+/i,
];

function filesUnder(path: string): string[] {
  const full = join(root, path);
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(full);
  } catch {
    return [];
  }
  if (stats.isFile()) return TEXT.test(path) ? [path] : [];
  return readdirSync(full).flatMap((name) => filesUnder(join(path, name)));
}

function outsideCitations(text: string): string[] {
  return text
    .split("\n")
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line }) => OUTSIDE_CITATIONS.some((pattern) => pattern.test(line)))
    .map(({ line, number }) => `${number}: ${line.trim()}`);
}

describe("the repository stands on its own", () => {
  it("recognizes each way of citing an outside document, and not ordinary prose", () => {
    for (const cited of [
      `the stack (${designNotes} §3, compute)`,
      `see ${designNotes}.md`,
      `retries are off (${githubNotes}.md)`,
      `moto's gaps (${emulatorNotes}.md)`,
      `a restart loses no run (issue ${8}, item 5)`,
      `fixed in Issue ${12}`,
    ]) {
      expect(outsideCitations(cited), cited).toHaveLength(1);
    }
    for (const plain of [
      "the design choices are in docs/design-choices.md",
      "docs/emulator.md lists the emulator's known gaps",
      "an issue comment of 8 lines",
      "a GitHub issue",
      "a default replaces the automatic value (docker/buildx issue #510)",
    ]) {
      expect(outsideCitations(plain), plain).toEqual([]);
    }
  });

  it("no source, test, script or doc cites a document outside the repository", () => {
    const files = SCANNED.flatMap(filesUnder);
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((file) =>
      outsideCitations(readFileSync(join(root, file), "utf8")).map(
        (hit) => `${relative(root, join(root, file))}:${hit}`,
      ),
    );
    expect(found, "write the reason itself, or put it in docs/ and point there").toEqual([]);
  });
});
