/**
 * Reads a cluster definition (`clusters/<name>.yaml`) and either resolves it or reports every
 * problem at once, each pointing at the line and column of the node to fix. The text comes
 * from pull requests, so parsing is bounded: a size cap, a nesting cap and an alias cap keep
 * a hostile file from hanging or exhausting the bot. Nothing here throws on bad input.
 */
import { readFileSync } from "node:fs";
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type YAMLError,
} from "yaml";
import type { ClusterConfig } from "../../../infra/definition/config";
import { resolveCluster } from "../../../infra/definition/resolve";
import { checkClusterRules, type RuleProblem } from "../../../infra/definition/rules";
import {
  CLUSTER_NAME_PATTERN,
  type ClusterDefinition,
  type ClusterDefinitionInput,
  ClusterDefinitionSchema,
} from "../../../infra/definition/schema";
import { hostileStringMessage } from "./hostile-strings";
import { setAsideOf, validatedPart } from "./partial";
import {
  type DefinitionProblem,
  describeFound,
  formatFieldPath,
  sortProblems,
  sourceLineOf,
} from "./problems";
import {
  issueExpected,
  knownKeysAt,
  type SchemaIssue,
  schemaMessage,
  unknownKeyHint,
} from "./schema-messages";
import { MAX_NESTING, type Path, SourceMap } from "./source-map";
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
/** Alias expansions allowed; the yaml package's default (100) still allows large bombs. */
const MAX_ALIAS_COUNT = 10;
/** After this many YAML errors the rest are usually echoes of the first. */
const MAX_YAML_PROBLEMS = 10;
/** Schema problems reported at most; 20,000 unknown keys are one mistake, not 20,000. */
const MAX_SCHEMA_PROBLEMS = 50;

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
  const source = new DefinitionSource(document, lineCounter, text, file);
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
// The problems of a definition, at their place in the source (positions: source-map.ts)

class DefinitionSource extends SourceMap {
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

/** ` \`!!js/function\`` from the yaml package's "Unresolved tag: tag:yaml.org,2002:js/function". */
function tagOf(message: string): string {
  const tag = /Unresolved tag: (\S+)/.exec(message)?.[1];
  if (tag === undefined) return "";
  const short = tag.replace(/^tag:yaml\.org,2002:/, "!!");
  return ` \`${describeFound(short).replace(/`/g, "'")}\``;
}

/** `{ key: value }` when the value is defined, else `{}`: keeps absent fields absent. */
function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: string });
}
