import { describe, expect, it } from "vitest";
import {
  type DefinitionProblem,
  describeFound,
  formatFieldPath,
  formatProblems,
  sortProblems,
} from "../../../app/engine/definitions/problems";

describe("formatFieldPath", () => {
  it.each([
    [[], ""],
    [["workers", "min"], "workers.min"],
    [["network", "adminCidrs", 0], "network.adminCidrs[0]"],
    [["tags", "cost-center"], "tags.cost-center"],
    [["tags", "aws:team"], 'tags["aws:team"]'],
    [["tags", "a b"], 'tags["a b"]'],
  ] as const)("%j → %s", (path, field) => {
    expect(formatFieldPath(path)).toBe(field);
  });
});

describe("describeFound", () => {
  it("keeps short values as written", () => {
    expect(describeFound('"3"')).toBe('"3"');
  });

  it("puts multi-line values on one line", () => {
    expect(describeFound("min: 1\n  max: 3\n")).toBe("min: 1 max: 3");
  });

  it("truncates long values to 60 characters", () => {
    const found = describeFound("x".repeat(500));
    expect(found).toHaveLength(60);
    expect(found.endsWith("…")).toBe(true);
  });

  it("names an empty value", () => {
    expect(describeFound("")).toBe("(empty)");
  });
});

describe("formatProblems", () => {
  const problem = (overrides: Partial<DefinitionProblem>): DefinitionProblem => ({
    file: "clusters/dev.yaml",
    line: 1,
    column: 1,
    field: "",
    message: "is empty",
    ...overrides,
  });

  it("prints one line per problem, with the field and the value found when known", () => {
    expect(
      formatProblems([
        problem({}),
        problem({
          line: 12,
          column: 5,
          field: "workers.min",
          message: "must be ≤ workers.max (3)",
          found: "5",
        }),
      ]),
    ).toBe(
      "clusters/dev.yaml:1:1 is empty\nclusters/dev.yaml:12:5 workers.min: must be ≤ workers.max (3); found 5",
    );
  });

  it("sorts by file, line and column", () => {
    const sorted = sortProblems([
      problem({ line: 3 }),
      problem({ line: 1, column: 9 }),
      problem({ file: "clusters/a.yaml", line: 7 }),
      problem({ line: 1, column: 2 }),
    ]);
    expect(sorted.map((p) => `${p.file}:${p.line}:${p.column}`)).toEqual([
      "clusters/a.yaml:7:1",
      "clusters/dev.yaml:1:2",
      "clusters/dev.yaml:1:9",
      "clusters/dev.yaml:3:1",
    ]);
  });
});
