/**
 * What the schema's complaints and an unknown key's "did you mean" say, in the user's words:
 * zod's issues rewritten (type names, YAML 1.1 habits, bounds), and the keys the schema knows at
 * each place of a definition. load.ts places them at their line and column.
 */
import type { z } from "zod";
import { closestMatch } from "../../../infra/definition/rules";
import { ClusterDefinitionSchema } from "../../../infra/definition/schema";
import type { Path } from "./source-map";

export type SchemaIssue = z.core.$ZodIssue;
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
export const schemaMessage: z.core.$ZodErrorMap = (issue: RawSchemaIssue) => {
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

export function issueExpected(issue: SchemaIssue): string | undefined {
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
export function knownKeysAt(path: Path): string[] | undefined {
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

export function unknownKeyHint(parentPath: Path, key: string): string {
  // A right key at the wrong level (adminCidrs at the top instead of under network): an exact
  // key elsewhere says more than a near one here (`controlPlane.min` is `workers.min`, not `ami`).
  const home = KNOWN_KEYS_EVERYWHERE.find(([known, at]) => known === key && at.length > 0);
  if (home) return `; \`${key}\` belongs under \`${home[1].join(".")}\``;
  const suggestion = closestMatch(key, knownKeysAt(parentPath) ?? []);
  if (suggestion) return `; did you mean \`${suggestion}\`?`;
  return "";
}
