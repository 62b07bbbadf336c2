/**
 * The yaml package's syntax errors in plain words, at the place to fix. Its messages speak the
 * YAML spec's language ("Implicit keys need to be on a single line"), and for the most common
 * mistake, a key indented deeper than its neighbours, it reports the value on the line above.
 * Messages and codes are those of yaml 2.x (node_modules/yaml/dist/compose, dist/parse); an
 * error not listed keeps the package's message, prefixed with "YAML:".
 */
import type { YAMLError } from "yaml";

export interface YamlErrorReport {
  /** Offset in the text of the character to point at. */
  offset: number;
  message: string;
}

/** The offset of the first non-blank character of the line holding `offset`. */
function lineIndentOffset(text: string, offset: number): number {
  const start = text.lastIndexOf("\n", Math.max(0, offset - 1)) + 1;
  const indent = /^[ \t]*/.exec(text.slice(start))?.[0].length ?? 0;
  return start + indent;
}

/** The last `open` before `offset` that no `close` after it matches (quotes are not skipped). */
function unmatchedOpening(
  text: string,
  offset: number,
  open: string,
  close: string,
): number | undefined {
  let depth = 0;
  for (let index = Math.min(offset, text.length) - 1; index >= 0; index--) {
    if (text[index] === close) depth += 1;
    else if (text[index] === open) {
      if (depth === 0) return index;
      depth -= 1;
    }
  }
  return undefined;
}

/** Offsets where lines start, for line numbers in O(log n): junk files raise thousands of errors. */
class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let index = text.indexOf("\n"); index !== -1; index = text.indexOf("\n", index + 1)) {
      this.starts.push(index + 1);
    }
  }
  /** 0-based line of `offset`. */
  lineOf(offset: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if ((this.starts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}

/**
 * Errors looked at: they come in file order, the report shows at most 10, and some of the
 * translations scan back through the text.
 */
const MAX_ERRORS_EXAMINED = 40;

/**
 * Plain words for one error, and where to point. `text` is the whole definition, for errors
 * whose culprit is elsewhere than where the parser noticed it.
 */
export function describeYamlError(
  error: YAMLError,
  text: string,
  lines: LineIndex = new LineIndex(text),
): YamlErrorReport | undefined {
  const [start, end] = error.pos;
  const message = error.message.split("\n")[0] ?? "";
  const spansLines = lines.lineOf(start) !== lines.lineOf(Math.max(start, end - 1));

  if (error.code === "MULTILINE_IMPLICIT_KEY" && spansLines) {
    // `max: 3` then `    spot: true`: the parser reads `3 spot` as a key spread over two
    // lines and points at the 3; the line to fix is the one indented too deep.
    return {
      offset: lineIndentOffset(text, end - 1),
      message:
        "this key is indented deeper than the key above it, which already has a value; line it up with the keys above (same number of spaces)",
    };
  }
  if (message === "Nested mappings are not allowed in compact mappings") {
    return {
      offset: start,
      message:
        "a second `key:` on the same line; write the nested keys on their own lines, indented, or as `{ key: value }`",
    };
  }
  if (message.startsWith("All mapping items must start at the same column")) {
    return {
      offset: lineIndentOffset(text, start),
      message:
        "this key is not lined up with the keys above it; keys of one mapping need the same number of spaces before them",
    };
  }
  if (message.startsWith("All sequence items must start at the same column")) {
    return {
      offset: lineIndentOffset(text, start),
      message:
        "this list item is not lined up with the items above it; put every `-` in the same column",
    };
  }
  if (message === "A block sequence may not be used as an implicit map key") {
    return {
      offset: lineIndentOffset(text, start),
      message:
        "this list item is indented less than the items above it; put every `-` in the same column",
    };
  }
  if (message === "Sequence item without - indicator") {
    return { offset: start, message: "a list item without its `- `; start each item with `- `" };
  }
  if (message === "Implicit map keys need to be followed by map values") {
    return {
      offset: start,
      message:
        "expected `key: value`; a colon must be followed by a space (`region: eu-central-1`), and a line on its own must end with a colon",
    };
  }
  const quote = /^Missing closing (['"])quote/.exec(message)?.[1];
  if (quote) {
    // Noticed at the end of the file; the quote that opened the string is the place to look.
    const opening = text.lastIndexOf(quote, Math.max(0, start - 1));
    return {
      offset: opening === -1 ? start : opening,
      message: `this string's ${quote} has no closing ${quote}; close it on the same line`,
    };
  }
  const flow =
    /^Flow (sequence|map) in block collection must be sufficiently indented and end with a ([\]}])/.exec(
      message,
    );
  if (flow) {
    const close = flow[2] ?? "]";
    const open = close === "]" ? "[" : "{";
    // Noticed where the collection should have ended; the unmatched bracket is where it began.
    return {
      offset: unmatchedOpening(text, start, open, close) ?? start,
      message: `a ${flow[1] === "sequence" ? "list" : "mapping"} opened with \`${open}\` is not closed with \`${close}\` (or its next line is not indented)`,
    };
  }
  if (/^Missing , (or : )?between flow (sequence|map) items/.test(message)) {
    return { offset: start, message: "items inside `[…]` or `{…}` must be separated by commas" };
  }
  if (/^Unexpected block-seq-ind/.test(message)) {
    return {
      offset: start,
      message:
        "a list item (`- …`) where a key was expected; indent the list under its key (`key:` on the line above)",
    };
  }
  if (/^Plain value cannot start with/.test(message)) {
    return {
      offset: start,
      message: `${message.replace(/^Plain value/, "An unquoted value")}; put the value in quotes`,
    };
  }
  return undefined;
}

/**
 * The errors worth showing, each with its plain-words report when there is one. One mistake
 * often trips several errors: a key indented too deep after a value gives "Nested mappings"
 * and "Implicit keys need to be on a single line" for the same spot; a misaligned list item
 * gives three on its line. Per line, the first error with plain words is kept (else the first).
 */
export function selectYamlErrors(
  allErrors: readonly YAMLError[],
  text: string,
): { error: YAMLError; report: YamlErrorReport | undefined }[] {
  const lines = new LineIndex(text);
  const errors = allErrors.slice(0, MAX_ERRORS_EXAMINED);
  const spanning = new Set(
    errors
      .filter(
        (error) =>
          error.code === "MULTILINE_IMPLICIT_KEY" &&
          lines.lineOf(error.pos[0]) !== lines.lineOf(Math.max(error.pos[0], error.pos[1] - 1)),
      )
      .map((error) => error.pos[0]),
  );
  const byLine = new Map<number, { error: YAMLError; report: YamlErrorReport | undefined }>();
  for (const error of errors) {
    if (error.code === "BLOCK_AS_IMPLICIT_KEY" && spanning.has(error.pos[0])) continue;
    const report = describeYamlError(error, text, lines);
    const line = lines.lineOf(report?.offset ?? error.pos[0]);
    const kept = byLine.get(line);
    if (!kept || (!kept.report && report)) byLine.set(line, { error, report });
  }
  return [...byLine.values()];
}
