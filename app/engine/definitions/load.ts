/**
 * Reads a cluster definition (`clusters/<name>.yaml`) and either resolves it or reports every
 * problem at once, each pointing at the line and column of the node to fix. The text comes
 * from pull requests, so parsing is bounded: a size cap, a nesting cap and an alias cap keep
 * a hostile file from hanging or exhausting the bot. Nothing here throws on bad input.
 */
import { readFileSync } from "node:fs";
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type YAMLError,
} from "yaml";
import type { z } from "zod";
import type { ClusterConfig } from "../../../infra/definition/config";
import { resolveCluster } from "../../../infra/definition/resolve";
import { checkClusterRules, closestMatch, type RuleProblem } from "../../../infra/definition/rules";
import {
  CLUSTER_NAME_PATTERN,
  type ClusterDefinition,
  type ClusterDefinitionInput,
  ClusterDefinitionSchema,
} from "../../../infra/definition/schema";
import { setAsideOf, validatedPart } from "./partial";
import {
  type DefinitionProblem,
  describeFound,
  formatFieldPath,
  sortProblems,
  sourceLineOf,
  UNSEEN,
} from "./problems";
import { selectYamlErrors, type YamlErrorReport } from "./yaml-errors";

export type LoadResult =
  | { ok: true; definition: ClusterDefinition; config: ClusterConfig }
  | { ok: false; problems: DefinitionProblem[] };

/**
 * A definition is a page of settings (the largest sensible one, with 40 long tags and full CIDR
 * lists, is under 20 KiB); anything larger is a mistake or an attack. The cap also bounds the
 * parser's time: 32 KiB of the worst junk (one error per character) parses in a few hundred ms.
 */
export const MAX_DEFINITION_BYTES = 32 * 1024;
/** Deeper than any real definition (4 levels), shallow enough for every recursive step. */
const MAX_NESTING = 32;
/** Alias expansions allowed; the yaml package's default (100) still allows large bombs. */
const MAX_ALIAS_COUNT = 10;
/** After this many YAML errors the rest are usually echoes of the first. */
const MAX_YAML_PROBLEMS = 10;
/** Schema problems reported at most; 20,000 unknown keys are one mistake, not 20,000. */
const MAX_SCHEMA_PROBLEMS = 50;

type Path = readonly (string | number)[];

/** Reads and loads a definition file; an unreadable file is a problem, not an exception. */
export function loadDefinitionFile(path: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT"
        ? "no such file"
        : String((error as Error).message);
    return { ok: false, problems: [fileProblem(path, `cannot read the file: ${reason}`)] };
  }
  return loadDefinition(text, path);
}

/** Where a repository keeps its definitions, unless its bot config says otherwise. */
export const DEFAULT_DEFINITIONS_DIR = "clusters";

export interface LoadOptions {
  /**
   * The repository's definitions folder (the bot config's `definitionsPath`): a file directly in
   * it must define the cluster its file name names. Default `clusters`.
   */
  definitionsDir?: string;
}

/** Parses, validates and resolves one definition; `file` is used in problems and the name check. */
export function loadDefinition(text: string, file: string, options: LoadOptions = {}): LoadResult {
  try {
    return loadUnchecked(text, file, options.definitionsDir ?? DEFAULT_DEFINITIONS_DIR);
  } catch (error) {
    // A bug of ours, not the user's: still a problem report, never a stack trace in a PR.
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, problems: [fileProblem(file, `internal error while loading: ${reason}`)] };
  }
}

/**
 * The problem with the line it points at. Problems about the whole file (fileProblem) carry
 * `sourceLine: undefined` already: their 1:1 is no place in the text.
 */
function withSourceLine(problem: DefinitionProblem, text: string): DefinitionProblem {
  if ("sourceLine" in problem) return problem;
  const sourceLine = sourceLineOf(text, problem.line);
  return sourceLine === undefined || sourceLine.trim() === ""
    ? problem
    : { ...problem, sourceLine };
}

function fileProblem(file: string, message: string): DefinitionProblem {
  return { file, line: 1, column: 1, field: "", message, sourceLine: undefined };
}

function loadUnchecked(text: string, file: string, definitionsDir: string): LoadResult {
  const fail = (problems: DefinitionProblem[]): LoadResult => ({
    ok: false,
    problems: sortProblems(problems).map((problem) => withSourceLine(problem, text)),
  });
  const size = Buffer.byteLength(text, "utf8");
  if (size > MAX_DEFINITION_BYTES) {
    return fail([
      fileProblem(
        file,
        `is ${Math.ceil(size / 1024)} KiB; a definition may be at most ${MAX_DEFINITION_BYTES / 1024} KiB`,
      ),
    ]);
  }
  const tooDeep = deepNestingOffset(text);
  if (tooDeep !== undefined) return fail([nestingProblem(file, textPosition(text, tooDeep))]);

  const lineCounter = new LineCounter();

  // The parser makes an Error per problem it finds, one per character of junk at worst; their
  // stack traces are most of its time and no use here. Synchronous, so restored before anyone
  // else runs.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let document: Document;
  try {
    document = parseOnce(text, lineCounter);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  const source = new SourceMap(document, lineCounter, text, file);
  const yamlProblems = selectYamlErrors([...document.errors, ...document.warnings], text).map(
    ({ error, report }) => source.yamlProblem(error, report),
  );
  if (yamlProblems.length > 0) return fail(dedupe(yamlProblems).slice(0, MAX_YAML_PROBLEMS));
  const duplicates = source.duplicateKeyProblems();
  if (duplicates.length > 0) return fail(duplicates.slice(0, MAX_YAML_PROBLEMS));

  const deepNode = source.findNodeDeeperThan(MAX_NESTING);
  if (deepNode) return fail([nestingProblem(file, source.position(deepNode.range?.[0] ?? 0))]);
  const complexKey = source.findCollectionKey();
  if (complexKey) {
    return fail([
      {
        file,
        ...source.position(complexKey.range?.[0] ?? 0),
        field: "",
        message: "keys must be plain names such as `workers`, not lists or mappings",
      },
    ]);
  }

  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const alias = source.firstAlias();
    const position = source.position(alias?.range?.[0] ?? 0);
    const message =
      error instanceof ReferenceError && /alias/i.test(error.message)
        ? `expands aliases (*name) more than ${MAX_ALIAS_COUNT} times; write the values out instead`
        : `cannot be read: ${error instanceof Error ? error.message : String(error)}`;
    return fail([{ file, ...position, field: "", message }]);
  }

  if (data === null || data === undefined) {
    return fail([
      fileProblem(
        file,
        "is empty; a cluster definition needs at least name, region, network.adminCidrs and state.bucket",
      ),
    ]);
  }
  if (typeof data !== "object" || Array.isArray(data)) {
    const position = source.position(source.rootOffset());
    return fail([
      {
        file,
        ...position,
        field: "",
        message:
          "expected a mapping of cluster settings (`name: dev`, `region: …` on separate lines)",
        found: source.foundAt([]),
      },
    ]);
  }

  // Strings that are unsafe anywhere come first: they are reported even where the schema also
  // objects, and the schema's message for the same field is dropped (one mistake, one problem).
  const { problems: hostile, paths: hostilePaths } = source.hostileStringProblems();
  const hostileFields = new Set(hostile.map((problem) => problem.field));
  const problems = [
    ...hostile,
    ...source.nameProblems(data as Record<string, unknown>, definitionsDir),
  ];
  const parsed = ClusterDefinitionSchema.safeParse(data, { error: schemaMessage });
  if (!parsed.success) {
    problems.push(
      ...dedupe(source.cappedSchemaProblems(parsed.error.issues, MAX_SCHEMA_PROBLEMS)).filter(
        (problem) => !hostileFields.has(problem.field),
      ),
    );
  }
  // The cross-field rules run in the same pass, on the fields that did validate: every problem
  // one reading can find is reported at once, not one layer per push.
  const part = parsed.success
    ? { definition: parsed.data, setAside: setAsideOf(hostilePaths) }
    : validatedPart(data as Record<string, unknown>, parsed.error.issues, hostilePaths);
  if (part.definition) {
    problems.push(
      ...checkClusterRules(part.definition, data as ClusterDefinitionInput, part.setAside).map(
        (problem) => source.ruleProblem(problem),
      ),
    );
  }
  if (problems.length > 0 || !parsed.success) return fail(dedupe(problems));
  return { ok: true, definition: parsed.data, config: resolveCluster(parsed.data) };
}

function parseOnce(text: string, lineCounter: LineCounter): Document {
  return parseDocument(text, {
    lineCounter,
    version: "1.2",
    schema: "core",
    merge: false,
    // Duplicates are found below in linear time; the yaml package compares each new key with
    // every earlier one, which takes seconds on a file of many keys.
    uniqueKeys: false,
    strict: true,
    prettyErrors: false,
  });
}

function nestingProblem(
  file: string,
  position: { line: number; column: number },
): DefinitionProblem {
  return {
    file,
    ...position,
    field: "",
    message: `nests deeper than ${MAX_NESTING} levels; a cluster definition needs 4`,
  };
}

/** 1-based line and column of an offset, for text the yaml parser has not seen. */
function textPosition(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length, column: offset - lineStart + 1 };
}

function dedupe(problems: DefinitionProblem[]): DefinitionProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.line}:${problem.column}:${problem.field}:${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Offset where the text nests deeper than MAX_NESTING, found before the parser runs: the yaml
 * package survives deep nesting only by catching a stack overflow, slowly. Counts flow brackets
 * and compact block sequences (`- - - x`); quoted strings and comments are skipped so a bracket
 * inside a value does not count. Deep block indentation is left to the parser, which copes.
 */
function deepNestingOffset(text: string): number | undefined {
  let depth = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    const previous = index === 0 ? "\n" : (text[index - 1] ?? "\n");
    if (previous === "\n") {
      const compact = /^[ ]*(?:-[ ]+)+/.exec(text.slice(index, index + 4 * MAX_NESTING + 4));
      if (compact && (compact[0].match(/-/g)?.length ?? 0) > MAX_NESTING) return index;
    }
    if (char === "#" && /\s/.test(previous)) {
      const end = text.indexOf("\n", index);
      index = end === -1 ? text.length : end - 1;
    } else if ((char === '"' || char === "'") && /[\s[{,:]/.test(previous)) {
      index = closingQuote(text, index);
    } else if (char === "[" || char === "{") {
      depth += 1;
      if (depth > MAX_NESTING) return index;
    } else if ((char === "]" || char === "}") && depth > 0) {
      depth -= 1;
    }
  }
  return undefined;
}

function closingQuote(text: string, start: number): number {
  const quote = text[start];
  for (let index = start + 1; index < text.length; index++) {
    if (quote === '"' && text[index] === "\\") index += 1;
    else if (text[index] === quote) {
      if (quote === "'" && text[index + 1] === "'")
        index += 1; // '' escapes a single quote
      else return index;
    }
  }
  return text.length;
}

// ---------------------------------------------------------------------------------------------
// zod issues in the user's words

type SchemaIssue = z.core.$ZodIssue;
type RawSchemaIssue = Parameters<z.core.$ZodErrorMap>[0];

const TYPE_NAMES: Record<string, string> = {
  object: "a mapping",
  array: "a list",
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

/**
 * Messages for issues whose schema gave none (a schema's own message wins over this map).
 * They state the expectation; the value found is appended by the report.
 */
const schemaMessage: z.core.$ZodErrorMap = (issue: RawSchemaIssue) => {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return `is required (${typeName(issue.expected)})`;
      return `expected ${typeName(issue.expected)}${typeHint(issue.expected, issue.input)}`;
    case "too_small":
      return `${boundSubject(issue.origin)} at least ${issue.minimum}${boundUnit(issue.origin)}`;
    case "too_big":
      return `${boundSubject(issue.origin)} at most ${issue.maximum}${boundUnit(issue.origin)}`;
    case "invalid_value": {
      const choices = issue.values.map(String);
      const suggestion =
        typeof issue.input === "string" ? closestMatch(issue.input, choices) : undefined;
      return `expected one of ${choices.join(", ")}${suggestion ? `; did you mean ${suggestion}?` : ""}`;
    }
    default:
      return undefined;
  }
};

/** YAML 1.2 reads `yes` and `"3"` as strings; say so, since YAML 1.1 habits are common. */
function typeHint(expected: string, input: unknown): string {
  if (typeof input !== "string") return "";
  if (expected === "boolean" && /^(yes|no|on|off|y|n|True|False|TRUE|FALSE)$/.test(input)) {
    return " (YAML 1.2 reads yes/no/on/off as strings)";
  }
  if (
    (expected === "number" || expected === "int") &&
    input.trim() !== "" &&
    Number.isFinite(Number(input))
  ) {
    return " (without quotes)";
  }
  return "";
}

function boundSubject(origin: string): string {
  return origin === "array" ? "must list" : origin === "string" ? "must have" : "must be";
}

function boundUnit(origin: string): string {
  if (origin === "array" || origin === "set") return " item(s)";
  if (origin === "string") return " character(s)";
  return "";
}

function issueExpected(issue: SchemaIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      return typeName(issue.expected);
    case "too_small":
      return `${issue.inclusive === false ? ">" : "≥"} ${issue.minimum}`;
    case "too_big":
      return `${issue.inclusive === false ? "<" : "≤"} ${issue.maximum}`;
    case "invalid_value":
      return issue.values.map(String).join(" | ");
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Known keys, for "did you mean" on unknown ones

interface SchemaDef {
  type: string;
  innerType?: { _zod: { def: SchemaDef } };
  in?: { _zod: { def: SchemaDef } };
  element?: { _zod: { def: SchemaDef } };
  valueType?: { _zod: { def: SchemaDef } };
  shape?: Record<string, { _zod: { def: SchemaDef } }>;
}

const WRAPPERS = new Set([
  "default",
  "prefault",
  "optional",
  "nullable",
  "readonly",
  "catch",
  "nonoptional",
]);

/** The schema definition without defaults/optional wrappers (zod's documented `_zod.def`). */
function unwrap(def: SchemaDef): SchemaDef {
  let current = def;
  for (;;) {
    if (WRAPPERS.has(current.type) && current.innerType) current = current.innerType._zod.def;
    else if (current.type === "pipe" && current.in) current = current.in._zod.def;
    else return current;
  }
}

const ROOT_DEF = (ClusterDefinitionSchema as unknown as { _zod: { def: SchemaDef } })._zod.def;

/** Keys the schema knows for the mapping at `path`, if it is a fixed-key mapping. */
function knownKeysAt(path: Path): string[] | undefined {
  let def = unwrap(ROOT_DEF);
  for (const segment of path) {
    const next =
      def.type === "object"
        ? def.shape?.[String(segment)]
        : def.type === "array"
          ? def.element
          : def.type === "record"
            ? def.valueType
            : undefined;
    if (!next) return undefined;
    def = unwrap(next._zod.def);
  }
  return def.type === "object" && def.shape ? Object.keys(def.shape) : undefined;
}

/** Every fixed key in the schema with the path of the mapping that holds it. */
function allKnownKeys(
  def: SchemaDef = unwrap(ROOT_DEF),
  path: string[] = [],
): [string, string[]][] {
  if (def.type !== "object" || !def.shape) return [];
  return Object.entries(def.shape).flatMap(([key, child]) => [
    [key, path] as [string, string[]],
    ...allKnownKeys(unwrap(child._zod.def), [...path, key]),
  ]);
}

const KNOWN_KEYS_EVERYWHERE = allKnownKeys();

function unknownKeyHint(parentPath: Path, key: string): string {
  const suggestion = closestMatch(key, knownKeysAt(parentPath) ?? []);
  if (suggestion) return `; did you mean \`${suggestion}\`?`;
  // A right key at the wrong level (adminCidrs at the top instead of under network).
  const home = KNOWN_KEYS_EVERYWHERE.find(([known, at]) => known === key && at.length > 0);
  if (home) return `; \`${key}\` belongs under \`${home[1].join(".")}\``;
  return "";
}

// ---------------------------------------------------------------------------------------------
// Source positions

interface Located {
  /** The node at the path, or the deepest ancestor found. */
  node: Node | null;
  /** The key of that node in its parent mapping, when it has one. */
  key: Node | null;
  /** Whether the whole path was found. */
  exact: boolean;
  /** The first alias (`*name`) the path went through: where the value was written for it. */
  alias: Node | null;
}

/** Maps definition paths and offsets to the document's nodes and 1-based line:column. */
class SourceMap {
  constructor(
    private readonly document: Document,
    private readonly lineCounter: LineCounter,
    private readonly text: string,
    private readonly file: string,
  ) {}

  position(offset: number): { line: number; column: number } {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  rootOffset(): number {
    const root = this.document.contents;
    return root?.range?.[0] ?? 0;
  }

  locate(path: Path): Located {
    let located: Located = { node: this.document.contents, key: null, exact: true, alias: null };
    for (const segment of path) {
      const alias = located.alias ?? (isAlias(located.node) ? located.node : null);
      const container = this.deref(located.node);
      let next: Located | undefined;
      if (isMap(container)) {
        const pair = container.items.find(
          (item) => isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (pair) {
          const node = (pair.value as Node | null) ?? null;
          next = { node, key: pair.key as Node, exact: true, alias };
        }
      } else if (isSeq(container) && typeof segment === "number") {
        const item = container.items[segment];
        if (item !== undefined) next = { node: item as Node | null, key: null, exact: true, alias };
      }
      if (!next) return { ...located, exact: false };
      located = next;
    }
    return located;
  }

  /** Follows an alias to its anchored node, so paths reach into aliased mappings. */
  private deref(node: Node | null): Node | null {
    return isAlias(node) ? (node.resolve(this.document) ?? null) : node;
  }

  /** Start of a located node: the value when exact, else the key (or start) of the ancestor. */
  private offsetOf(located: Located): number {
    if (located.alias?.range) return located.alias.range[0];
    // A block mapping or list starts on the line after its key; the key is where to look.
    const isBlock = (isMap(located.node) || isSeq(located.node)) && !located.node.flow;
    if (located.exact && isBlock && located.key?.range) return located.key.range[0];
    if (located.exact && located.node?.range) return located.node.range[0];
    if (located.exact && located.key?.range) return located.key.range[1];
    return located.key?.range?.[0] ?? located.node?.range?.[0] ?? this.rootOffset();
  }

  /** The value at `path` as written, on one line; undefined when the path is not in the file. */
  foundAt(path: Path): string | undefined {
    const located = this.locate(path);
    if (!located.exact) return undefined;
    const range = located.node?.range;
    return describeFound(range ? this.text.slice(range[0], range[1]) : "");
  }

  private at(path: Path, details: Omit<DefinitionProblem, "file" | "line" | "column" | "field">) {
    const located = this.locate(path);
    return {
      file: this.file,
      ...this.position(this.offsetOf(located)),
      field: formatFieldPath(path),
      ...details,
    };
  }

  /** A problem about a key itself (unknown, invalid): positioned on the key. */
  private atKey(
    path: Path,
    details: Omit<DefinitionProblem, "file" | "line" | "column" | "field">,
  ) {
    const located = this.locate(path);
    const offset =
      located.exact && located.key?.range && !located.alias
        ? located.key.range[0]
        : this.offsetOf(located);
    return { file: this.file, ...this.position(offset), field: formatFieldPath(path), ...details };
  }

  yamlProblem(error: YAMLError, plain: YamlErrorReport | undefined): DefinitionProblem {
    const offset = plain?.offset ?? error.pos[0];
    // Only a duplicate key sits on a well-formed node worth naming; other syntax errors are
    // reported where the parser noticed them, which need not be inside the culprit.
    const path = error.code === "DUPLICATE_KEY" ? this.pathAt(offset) : [];
    const key = path.at(-1);
    const messages: Partial<Record<YAMLError["code"], string>> = {
      TAB_AS_INDENT: "tabs are not allowed for indentation in YAML; indent with spaces",
      DUPLICATE_KEY: `duplicate key${key === undefined ? "" : ` \`${key}\``}; each key may appear once`,
      MULTIPLE_DOCS: "holds more than one YAML document (---); put one cluster in each file",
      RESOURCE_EXHAUSTION: `nests too deeply; a cluster definition needs 4 levels`,
      TAG_RESOLVE_FAILED: `unknown tag${tagOf(error.message)}; a definition holds plain values (strings, numbers, true/false, lists, mappings), no tags`,
    };
    return {
      file: this.file,
      ...this.position(offset),
      field: formatFieldPath(path),
      message: messages[error.code] ?? plain?.message ?? `YAML: ${error.message.split("\n")[0]}`,
    };
  }

  /** Path of the deepest key or item whose node starts at or contains `offset`. */
  private pathAt(offset: number): (string | number)[] {
    const path: (string | number)[] = [];
    let node: unknown = this.document.contents;
    const contains = (candidate: unknown) => {
      const range = (candidate as Node | null)?.range;
      return range != null && range[0] <= offset && offset < Math.max(range[2], range[0] + 1);
    };
    for (let depth = 0; depth <= MAX_NESTING; depth++) {
      if (isMap(node)) {
        const pair = node.items.find((item) => contains(item.key) || contains(item.value));
        if (!pair || !isScalar(pair.key)) return path;
        path.push(String(pair.key.value));
        if (contains(pair.key)) return path;
        node = pair.value;
      } else if (isSeq(node)) {
        const index = node.items.findIndex(contains);
        if (index === -1) return path;
        path.push(index);
        node = node.items[index];
      } else {
        return path;
      }
    }
    return path;
  }

  /** The first node nested deeper than `limit`, found without recursion. */
  findNodeDeeperThan(limit: number): Node | undefined {
    const stack: [unknown, number][] = [[this.document.contents, 0]];
    while (stack.length > 0) {
      const [node, depth] = stack.pop() as [unknown, number];
      if (!isMap(node) && !isSeq(node)) continue;
      if (depth >= limit) return node;
      for (const item of node.items) {
        if (isMap(node)) {
          const pair = item as { key: unknown; value: unknown };
          stack.push([pair.key, depth + 1], [pair.value, depth + 1]);
        } else {
          stack.push([item, depth + 1]);
        }
      }
    }
    return undefined;
  }

  /** The first mapping key that is itself a list or mapping (`? [a, b]`); depth is capped. */
  findCollectionKey(): Node | undefined {
    const stack: unknown[] = [this.document.contents];
    while (stack.length > 0) {
      const node = stack.pop();
      if (isMap(node)) {
        for (const pair of node.items) {
          if (isMap(pair.key) || isSeq(pair.key)) return pair.key;
          stack.push(pair.value);
        }
      } else if (isSeq(node)) {
        stack.push(...node.items);
      }
    }
    return undefined;
  }

  firstAlias(): Node | undefined {
    let first: Node | undefined;
    const visit = (node: unknown, depth: number) => {
      if (first || depth > MAX_NESTING) return;
      if (isAlias(node)) first = node;
      else if (isMap(node)) for (const pair of node.items) visit(pair.value, depth + 1);
      else if (isSeq(node)) for (const item of node.items) visit(item, depth + 1);
    };
    visit(this.document.contents, 0);
    return first;
  }

  /**
   * Keys that appear twice in one mapping (`name` and `"name"` are the same key), one problem
   * per repeat, on the repeat. Linear: one set per mapping.
   */
  duplicateKeyProblems(): DefinitionProblem[] {
    const problems: DefinitionProblem[] = [];
    const stack: [unknown, Path][] = [[this.document.contents, []]];
    while (stack.length > 0 && problems.length < MAX_YAML_PROBLEMS) {
      const [node, path] = stack.pop() as [unknown, Path];
      if (isMap(node)) {
        const seen = new Set<string>();
        for (const pair of node.items) {
          if (!isScalar(pair.key)) continue;
          const key = String(pair.key.value);
          if (seen.has(key)) {
            problems.push({
              file: this.file,
              ...this.position(pair.key.range?.[0] ?? 0),
              field: formatFieldPath([...path, key]),
              message: `duplicate key \`${key}\`; each key may appear once`,
            });
          }
          seen.add(key);
          stack.push([pair.value, [...path, key]]);
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, index) => {
          stack.push([item, [...path, index]]);
        });
      }
    }
    return problems;
  }

  /**
   * The first `limit` problems of the zod issues, and a last one saying how many more there
   * were: locating each costs a walk of its mapping, and a flood helps no one.
   */
  cappedSchemaProblems(issues: readonly SchemaIssue[], limit: number): DefinitionProblem[] {
    const problems: DefinitionProblem[] = [];
    let total = 0;
    for (const issue of issues) {
      const count = issue.code === "unrecognized_keys" ? issue.keys.length : 1;
      if (problems.length < limit) {
        const room = limit - problems.length;
        const capped =
          issue.code === "unrecognized_keys" && issue.keys.length > room
            ? { ...issue, keys: issue.keys.slice(0, room) }
            : issue;
        problems.push(...this.schemaProblems(capped));
      }
      total += count;
    }
    if (total > problems.length) {
      problems.push({
        ...fileProblem(this.file, `… and ${total - problems.length} more problems like these`),
        // Last in file order, after the problems it counts.
        line: Math.max(1, ...problems.map((problem) => problem.line)),
        column: Math.max(1, ...problems.map((problem) => problem.column)) + 1,
      });
    }
    return problems;
  }

  /** A zod issue as problems (an unrecognized_keys issue names several keys). */
  schemaProblems(issue: SchemaIssue): DefinitionProblem[] {
    const path = issue.path.filter((key): key is string | number => typeof key !== "symbol");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) =>
        this.atKey([...path, key], {
          message: `unknown key \`${key}\`${unknownKeyHint(path, key)}`,
          ...optional("expected", knownKeysAt(path)?.join(", ")),
        }),
      );
    }
    if (issue.code === "invalid_key") {
      const message = issue.issues[0]?.message ?? issue.message;
      return [this.atKey(path, { message, found: describeFound(String(path.at(-1) ?? "")) })];
    }
    const missing = issue.code === "invalid_type" && !this.locate(path).exact;
    return [
      this.at(path, {
        message: issue.message,
        ...optional("expected", issueExpected(issue)),
        ...(missing ? {} : optional("found", this.foundAt(path))),
      }),
    ];
  }

  ruleProblem(problem: RuleProblem): DefinitionProblem {
    // A rule's own summary of a mapping ("41" tags) says more than the mapping's text.
    const node = this.locate(problem.path).node;
    const preferRule = problem.found !== undefined && (isMap(node) || isSeq(node));
    return this.at(problem.path, {
      message: problem.message,
      ...optional("expected", problem.expected),
      ...optional(
        "found",
        preferRule ? problem.found : (this.foundAt(problem.path) ?? problem.found),
      ),
    });
  }

  /**
   * Every key and string value as written, checked for what must not reach Terraform, AWS or a
   * reviewer's screen whatever the field: Terraform template sequences (`${…}`, `%{…}`: the
   * synthesized JSON is read as templates, so `${file("/proc/self/environ")}` in a tag would be
   * evaluated on the bot's host), invisible and direction-changing characters, and `__proto__`
   * (silently dropped by the JavaScript conversion). Free-text fields get their own character
   * sets: tags follow AWS' tag rules, the KMS key must be a key id, alias or ARN, and the state
   * key a relative S3 key. Walks the document, not the converted data, so every written string is
   * seen once, at its own position, and aliases are not expanded.
   */
  hostileStringProblems(): { problems: DefinitionProblem[]; paths: Path[] } {
    const problems: DefinitionProblem[] = [];
    const paths: Path[] = [];
    const reported = new Set<string>();
    const report = (path: Path, node: Node, message: string, found: string) => {
      const field = formatFieldPath(path);
      if (reported.has(field)) return;
      reported.add(field);
      paths.push(path);
      problems.push({
        file: this.file,
        ...this.position(node.range?.[0] ?? 0),
        field,
        message,
        found: describeFound(found),
      });
    };
    const check = (path: Path, node: Node, text: string, isKey: boolean) => {
      const message = hostileStringMessage(path, text, isKey);
      if (message) report(path, node, message, text);
    };
    const stack: [unknown, Path][] = [[this.document.contents, []]];
    while (stack.length > 0) {
      const [node, path] = stack.pop() as [unknown, Path];
      if (isMap(node)) {
        for (const pair of node.items) {
          if (!isScalar(pair.key)) continue;
          const key = String(pair.key.value);
          check([...path, key], pair.key, key, true);
          stack.push([pair.value, [...path, key]]);
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, index) => {
          stack.push([item, [...path, index]]);
        });
      } else if (isScalar(node) && typeof node.value === "string") {
        check(path, node, node.value, false);
      }
    }
    return { problems, paths };
  }

  /**
   * `clusters/dev.yaml` must define `name: dev`: the bot finds a cluster's state by its name, so
   * a copied file with the old name inside would plan changes to the other cluster. The folder is
   * the repository's (`definitionsPath`): with `infra/clusters`, `infra/clusters/evil.yaml` saying
   * `name: prod` would otherwise plan prod under the name evil (and evil's settings).
   */
  nameProblems(data: Record<string, unknown>, definitionsDir: string): DefinitionProblem[] {
    const path = this.file.replaceAll("\\", "/").replace(/^\.\//, "");
    const dir = definitionsDir.replace(/^\.\//, "").replace(/\/+$/, "");
    const fileName = path.startsWith(`${dir}/`)
      ? /^([^/]+)\.ya?ml$/.exec(path.slice(dir.length + 1))?.[1]
      : undefined;
    const name = data.name;
    // An invalid name gets the schema's message alone; one mistake, one problem.
    const comparable = typeof name === "string" && CLUSTER_NAME_PATTERN.test(name);
    if (fileName === undefined || !comparable || name === fileName) return [];
    return [
      this.at(["name"], {
        message: `must match the file name ${this.file} (${fileName}); rename the file or the cluster, since a copied file would otherwise manage the other cluster`,
        expected: fileName,
        ...optional("found", this.foundAt(["name"])),
      }),
    ];
  }
}

// ---------------------------------------------------------------------------------------------
// Strings that must not pass, whatever the field

/** Terraform reads `${…}` and `%{…}` in any string of the synthesized JSON as a template. */
const TERRAFORM_TEMPLATE = /[$%]\{/;
/**
 * Control characters (tab and newline included: no field is multi-line), format characters
 * (direction overrides and isolates, zero-width characters, the BOM), lone surrogates: they hide
 * what a reviewer reads or change how it is read.
 */
const INVISIBLE = new RegExp(UNSEEN.source, "u");
/** AWS tag keys and values: letters, digits, spaces and `_ . : / = + - @` (any language). */
const AWS_TAG_TEXT = /^[\p{L}\p{N}\p{Zs}_.:/=+\-@]*$/u;
/** A KMS key id, multi-Region key id, alias, or key/alias ARN. */
const KMS_KEY =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[A-Za-z0-9/_-]{1,250}|arn:aws(?:-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:(?:key\/(?:[0-9a-f-]{36}|mrk-[0-9a-f]{32})|alias\/[A-Za-z0-9/_-]{1,250}))$/;

function hostileStringMessage(path: Path, text: string, isKey: boolean): string | undefined {
  const what = isKey ? "key" : "value";
  if (isKey && text === "__proto__") return "`__proto__` is not allowed as a key";
  const invisible = INVISIBLE.exec(text);
  if (invisible) {
    return `the ${what} contains an invisible or control character (${codePoint(invisible[0])}); write plain text`;
  }
  if (TERRAFORM_TEMPLATE.test(text)) {
    return `the ${what} contains \`\${\` or \`%{\`, which Terraform would evaluate as an expression; definitions hold plain values only`;
  }
  const [top, second] = path;
  if (top === "tags" && path.length === 2 && !AWS_TAG_TEXT.test(text)) {
    return `tag ${what}s may use letters, digits, spaces and _ . : / = + - @ only (AWS tag rules)`;
  }
  if (isKey) return undefined;
  if (top === "state" && second === "kmsKeyId" && path.length === 2 && !KMS_KEY.test(text)) {
    return "expected a KMS key id, alias/<name>, or a key or alias ARN";
  }
  if (top === "state" && second === "key" && path.length === 2) {
    const segments = text.split("/");
    if (segments.some((segment) => segment === "" || segment === "." || segment === "..")) {
      return "the state key must be a relative S3 key: no leading /, no //, no . or .. segments";
    }
  }
  return undefined;
}

/** ` \`!!js/function\`` from the yaml package's "Unresolved tag: tag:yaml.org,2002:js/function". */
function tagOf(message: string): string {
  const tag = /Unresolved tag: (\S+)/.exec(message)?.[1];
  if (tag === undefined) return "";
  const short = tag.replace(/^tag:yaml\.org,2002:/, "!!");
  return ` \`${describeFound(short).replace(/`/g, "'")}\``;
}

function codePoint(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** `{ key: value }` when the value is defined, else `{}`: keeps absent fields absent. */
function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: string });
}
