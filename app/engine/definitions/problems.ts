/**
 * What is wrong with a cluster definition, in terms a user can act on: the file, the line and
 * column of the offending node, the field, what was expected and what was written. The same
 * records feed the CLI, PR comments and check-run annotations.
 */

export interface DefinitionProblem {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Dotted path of the field, e.g. `workers.min` or `network.adminCidrs[0]`; "" for the file. */
  field: string;
  message: string;
  expected?: string;
  /** The value as written in the file, on one line and truncated. */
  found?: string;
}

const MAX_FOUND_LENGTH = 60;
/**
 * Characters that would be invisible in a report or reorder it (controls, format characters such
 * as direction overrides, zero-width ones and the BOM, lone surrogates, line separators): shown as `<U+202E>` so the reader sees that something is there.
 */
export const UNSEEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;
const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `["network", "adminCidrs", 0]` → `network.adminCidrs[0]`; odd keys are quoted: `tags["aws:x"]`. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let field = "";
  for (const key of path) {
    if (typeof key === "number") field += `[${key}]`;
    else if (typeof key === "string" && PLAIN_KEY.test(key)) field += field ? `.${key}` : key;
    else field += `[${JSON.stringify(String(key))}]`;
  }
  return field;
}

/**
 * A value as written, fit for one line of a report: whitespace runs (a block mapping, a folded
 * string) collapse to one space, and long values are cut so a pasted certificate cannot flood
 * a PR comment.
 */
export function describeFound(sourceText: string): string {
  const oneLine = sourceText
    .replace(/\s+/g, " ")
    .replace(
      UNSEEN,
      (char) => `<U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}>`,
    )
    .trim();
  if (oneLine === "") return "(empty)";
  return oneLine.length > MAX_FOUND_LENGTH ? `${oneLine.slice(0, MAX_FOUND_LENGTH - 1)}…` : oneLine;
}

/** In file order, so the report reads top to bottom like the file. */
export function sortProblems(problems: DefinitionProblem[]): DefinitionProblem[] {
  return [...problems].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      a.field.localeCompare(b.field),
  );
}

/** One line per problem: `clusters/dev.yaml:12:5 workers.min: must be ≤ workers.max (3); found 5`. */
export function formatProblem(problem: DefinitionProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.column}`;
  const field = problem.field ? ` ${problem.field}:` : "";
  const found = problem.found === undefined ? "" : `; found ${problem.found}`;
  return `${where}${field} ${problem.message}${found}`;
}

export function formatProblems(problems: readonly DefinitionProblem[]): string {
  return problems.map(formatProblem).join("\n");
}
