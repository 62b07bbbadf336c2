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
  /** The line of the file the problem points at, for showing it with a caret (see sourceLineOf). */
  sourceLine?: string;
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

/** Longest source line shown; a longer one is shown around the column. */
const MAX_SOURCE_LINE = 100;

/**
 * Line `line` (1-based) of `text`, fit to show under a problem: tabs and invisible characters
 * become one visible character each, so the caret stays under its column and nothing hidden
 * reaches the terminal.
 */
export function sourceLineOf(text: string, line: number): string | undefined {
  const lines = text.split("\n");
  const raw = lines[line - 1];
  if (raw === undefined) return undefined;
  return raw.replace(/\r$/, "").replace(UNSEEN, (char) => (char === "\t" ? "→" : "?"));
}

function caretBlock(sourceLine: string, line: number, column: number): string {
  let shown = sourceLine;
  let caretAt = Math.max(1, column);
  if (shown.length > MAX_SOURCE_LINE) {
    const start = Math.max(
      0,
      Math.min(caretAt - 1 - MAX_SOURCE_LINE / 2, shown.length - MAX_SOURCE_LINE),
    );
    shown = `${start > 0 ? "…" : ""}${shown.slice(start, start + MAX_SOURCE_LINE)}${start + MAX_SOURCE_LINE < sourceLine.length ? "…" : ""}`;
    caretAt = caretAt - start + (start > 0 ? 1 : 0);
  }
  const gutter = String(line);
  return `\n  ${gutter} | ${shown}\n  ${" ".repeat(gutter.length)} | ${" ".repeat(caretAt - 1)}^`;
}

/**
 * One problem: `clusters/dev.yaml:12:5 workers.min: must be ≤ workers.max (3); found 5`, then
 * the source line with a caret under the column when the problem carries it.
 */
export function formatProblem(problem: DefinitionProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.column}`;
  const field = problem.field ? ` ${problem.field}:` : "";
  const found = problem.found === undefined ? "" : `; found ${problem.found}`;
  const source =
    problem.sourceLine === undefined || problem.sourceLine.trim() === ""
      ? ""
      : caretBlock(problem.sourceLine, problem.line, problem.column);
  return `${where}${field} ${problem.message}${found}${source}`;
}

export function formatProblems(problems: readonly DefinitionProblem[]): string {
  return problems.map(formatProblem).join("\n");
}
