// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions on purpose, not JS templates.
/**
 * Hostile and broken cluster definitions: a corpus (hostile-definitions.ts), mostly generated,
 * of YAML a pull request could carry. Every case must come back from loadDefinition as problems that
 * name the file, a line and column inside it, and (where one field is at fault) that field;
 * never a throw, never an "internal error", never more than MAX_MS, never a heap blow-up.
 * A few valid controls make sure the checks do not simply reject everything.
 */
import { describe, expect, it } from "vitest";
import { loadDefinition } from "../../app/engine/definitions/load";
import type { DefinitionProblem } from "../../app/engine/definitions/problems";
import {
  BASE,
  CORPUS,
  fillTo,
  NASTY,
  NEAR_CAP,
  PLAIN_TAG_TEXT,
  quoted,
  withValue,
} from "./hostile-definitions";

const FILE = "clusters/dev.yaml";
/** Per case, including the slowest junk at the size cap: a PR must not stall the bot. */
const MAX_MS = 2000;
/** Heap growth allowed across one case: an alias bomb expanded would take gigabytes. */
const MAX_HEAP_GROWTH = 128 * 1024 * 1024;

function timedLoad(text: string) {
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const result = loadDefinition(text, FILE);
  const ms = performance.now() - started;
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  return { result, ms, heapGrowth };
}

function describeProblems(problems: readonly DefinitionProblem[]): string {
  return problems
    .slice(0, 5)
    .map((p) => `${p.line}:${p.column} ${p.field || "(file)"}: ${p.message}`)
    .join("\n");
}

describe("hostile definitions corpus", () => {
  it(`holds at least 100 hostile definitions (${CORPUS.length})`, () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(CORPUS.map((c) => c.name)).size).toBe(CORPUS.length);
  });

  it.each(CORPUS)("$name", ({ yaml, field, message }) => {
    const { result, ms, heapGrowth } = timedLoad(yaml);
    expect(ms).toBeLessThan(MAX_MS);
    expect(heapGrowth).toBeLessThan(MAX_HEAP_GROWTH);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const problems = result.problems;
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.length).toBeLessThanOrEqual(51);
    const lines = yaml.split(/\r\n|\r|\n/).length;
    for (const problem of problems) {
      expect(problem.file).toBe(FILE);
      expect(problem.line).toBeGreaterThanOrEqual(1);
      expect(problem.line).toBeLessThanOrEqual(lines + 1);
      expect(problem.column).toBeGreaterThanOrEqual(1);
      expect(problem.message.trim()).not.toBe("");
      expect(problem.message).not.toMatch(/internal error/);
      // A reported value is one short line: nothing pasted floods a PR comment.
      if (problem.found !== undefined) expect(problem.found.length).toBeLessThanOrEqual(60);
      // Nothing invisible reaches the report: it is spelled out as <U+…>.
      expect(`${problem.message}${problem.found ?? ""}`).not.toMatch(
        /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u,
      );
    }
    if (field !== undefined) {
      const matching = problems.filter((problem) => problem.field === field);
      expect(matching, describeProblems(problems)).not.toHaveLength(0);
      if (message) expect(matching.map((p) => p.message).join("\n")).toMatch(message);
    } else if (message) {
      expect(problems.map((p) => p.message).join("\n")).toMatch(message);
    }
  });
});

describe("a nasty string is reported where it was written", () => {
  it.each(NASTY.filter(([label]) => !PLAIN_TAG_TEXT.has(label)))(
    "tags.team: %s points at the value's line",
    (_label, text) => {
      const yaml = withValue(["tags", "team"], quoted(text));
      const result = loadDefinition(yaml, FILE);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      const problem = result.problems.find((p) => p.field === "tags.team");
      expect(problem).toBeDefined();
      expect(yaml.split("\n")[(problem?.line ?? 0) - 1]).toContain("team:");
    },
  );

  it("names the Terraform danger and shows the value as written", () => {
    const result = loadDefinition(
      withValue(["tags", "team"], quoted('${file("/etc/shadow")}')),
      FILE,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      expect.objectContaining({
        field: "tags.team",
        message: expect.stringContaining("Terraform would evaluate"),
        found: '${file("/etc/shadow")}',
      }),
    ]);
  });

  it("spells out an invisible character instead of passing it on", () => {
    const result = loadDefinition(withValue(["tags", "team"], quoted("ops\u202Etxt.exe")), FILE);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]?.message).toContain("U+202E");
    expect(result.problems[0]?.found).toBe("ops<U+202E>txt.exe");
  });
});

describe("valid controls: the checks do not reject ordinary definitions", () => {
  const controls: [string, string][] = [
    ["the minimal definition", BASE],
    ["CRLF line endings", BASE.replaceAll("\n", "\r\n")],
    ["a byte-order mark at the start", `\uFEFF${BASE}`],
    [
      "tags in other scripts and AWS punctuation",
      withValue(["tags"], '{ team: "Zürich Ops", "cost:centre": "a/b=c+d@e", 名前: 開発 }'),
    ],
    [
      "a tag value that looks like a path",
      withValue(["tags", "source"], "repo/clusters/../dev.yaml"),
    ],
    ["a dollar sign without a brace", withValue(["tags"], '{ "budget": "100 USD" }')],
    ["a KMS alias", withValue(["state", "kmsKeyId"], "alias/k3s-state")],
    [
      "a KMS key ARN",
      withValue(
        ["state", "kmsKeyId"],
        "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      ),
    ],
    ["a nested state key", withValue(["state", "key"], "teams/platform/dev.tfstate")],
    [
      "an anchor and an alias",
      BASE.replace(
        "adminCidrs: [203.0.113.7/32]",
        "adminCidrs: [&office 203.0.113.7/32]\n  ingressCidrs: [*office]",
      ),
    ],
    ["comments, blank lines and a document marker", `# cluster dev\n---\n\n${BASE}\n# end\n`],
    ["a definition just under the size cap", fillTo(NEAR_CAP, BASE, () => "# padding\n")],
  ];

  it.each(controls)("%s loads", (_name, yaml) => {
    const { result, ms } = timedLoad(yaml);
    expect(ms).toBeLessThan(MAX_MS);
    if (!result.ok) throw new Error(describeProblems(result.problems));
    expect(result.definition.name).toBe("dev");
  });

  it("keeps tags exactly as written", () => {
    const result = loadDefinition(
      withValue(["tags"], '{ team: "Zürich Ops", source: "repo/../x", "d\u0435v": ok }'),
      FILE,
    );
    if (!result.ok) throw new Error(describeProblems(result.problems));
    expect(result.definition.tags).toEqual({
      team: "Zürich Ops",
      source: "repo/../x",
      "d\u0435v": "ok",
    });
  });
});
