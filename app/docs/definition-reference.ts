/**
 * The reference of the two files users write, generated so it cannot drift (`npm run docs`;
 * test/docs checks the committed files equal what this produces now):
 *   docs/definition-reference.md  clusters/<name>.yaml — from the zod schema (through its JSON
 *                                 Schema, as editors see it) and the cross-field rules
 *   docs/config-reference.md      .github/k3s-bot.yml — from the bot config's zod schema
 *
 * Fields, types, defaults, limits and descriptions come from the schemas. The cross-field rules
 * are code (infra/definition/rules.ts); their summaries live here, keyed by the check function
 * they describe, and a test fails when rules.ts gains a check this list does not describe.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { CLOUD_CONTROLLER_MANAGER_IMAGE_BY_MINOR } from "../../infra/addons/aws-cloud-controller-manager";
import {
  DATASTORE_MIN_MEMORY_GIB,
  EC2_INSTANCE_TYPES_SOURCE,
  RETIRED_DB_FAMILIES,
  TOO_SMALL_FOR_SERVER,
} from "../../infra/definition/instance-types";
import { MAX_USER_TAGS } from "../../infra/definition/rules";
import { BotConfigSchema, CONFIG_PATH } from "../bot/config";
import { clusterJsonSchema } from "../engine/definitions/json-schema";

export const DEFINITION_REFERENCE_PATH = "docs/definition-reference.md";
export const CONFIG_REFERENCE_PATH = "docs/config-reference.md";

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  required?: string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
}

/**
 * Summaries of the cross-field checks in infra/definition/rules.ts, by function name. They run
 * in the same pass as the per-field schema, on the fields that passed it; each problem names
 * the field to fix, with file and line.
 */
export const CROSS_FIELD_RULES: Record<string, string[]> = {
  checkRegion: [
    "`region` must be an AWS region k3s-bot knows (a close misspelling gets a “did you mean”).",
  ],
  checkZones: [
    "Without `network.availabilityZones`, the region's zones must be known to k3s-bot (regions whose zone letters differ per account must list their zones) and `network.azCount` must not exceed the number of zones in the region.",
    "With `network.availabilityZones`: as many zones as `network.azCount` (when azCount is written), each zone once, each a zone of `region`.",
  ],
  checkNetwork: [
    "`network.vpcCidr` has a prefix between /16 and /22.",
    "Every CIDR (`vpcCidr`, `adminCidrs`, `ingressCidrs`, subnets, `k3s.clusterCidr`, `k3s.serviceCidr`) has its host bits zero (10.20.0.0/16, not 10.20.1.0/16).",
    "`k3s.clusterCidr` and `k3s.serviceCidr` overlap neither `network.vpcCidr` nor each other (when the overlap comes from a default, the problem points at `network.vpcCidr`).",
  ],
  checkSubnets: [
    "Each list under `network.subnets` has one CIDR per zone; each block is /28 or larger, lies inside `network.vpcCidr`, and overlaps no other subnet, written or carved.",
  ],
  checkControlPlane: [
    "`controlPlane.count` is 1, 2 or 3 with `datastore.engine: postgres` (k3s' external-datastore HA asks for two or more servers), and 1 or 3 with `etcd` (embedded etcd needs an odd number of members to keep quorum); 4 or more servers are not supported.",
    `\`controlPlane.instanceType\` is not a ${TOO_SMALL_FOR_SERVER.join(" or ")} size (k3s documents 2 GB as a server's minimum).`,
  ],
  checkInstanceType: [
    `\`controlPlane.instanceType\` and \`workers.instanceType\` are EC2 instance types the EC2 API knows (${EC2_INSTANCE_TYPES_SOURCE}); an unknown size lists the family's sizes, a misspelling gets a “did you mean”.`,
  ],
  checkWorkers: [
    "`workers.min` ≤ `workers.max` (including when max is the default).",
    "`workers.cpuTarget` is not written with `workers.scaling: clusterAutoscaler`, which scales on pending pods and would ignore it.",
    "`workers.min` is at least 1: the add-ons' helm-install Jobs cannot run on the servers (tainted `CriticalAddonsOnly`), so without a worker none of them installs, the cluster-autoscaler included.",
  ],
  checkK3sVersion: [
    `\`k3s.version\` is a release of a Kubernetes minor with a pinned AWS cloud-controller-manager image (${Object.keys(CLOUD_CONTROLLER_MANAGER_IMAGE_BY_MINOR).join(", ")}): a controller newer than the API server is outside Kubernetes' version skew policy.`,
  ],
  checkDatastore: [
    `With \`datastore.engine: postgres\`: \`datastore.instanceClass\` is a known RDS class, not of a retired family (${RETIRED_DB_FAMILIES.map((f) => `db.${f}`).join(", ")}), with at least ${DATASTORE_MIN_MEMORY_GIB} GiB memory (k3s' floor for an external datastore: db.t4g.micro is too small).`,
  ],
  checkState: [
    "`state.region`, when set, is a known region in the same partition (aws, aws-cn, aws-us-gov) as `region`.",
  ],
  checkTags: [
    `At most ${MAX_USER_TAGS} entries in \`tags\` (AWS allows 50 per resource; k3s-bot adds its own).`,
  ],
};

const code = (value: unknown) => `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;
/**
 * Table cells cannot hold raw pipes or newlines; outside code spans `<name>` would be read as an
 * HTML tag and vanish.
 */
const cell = (text: string) =>
  text
    .split("`")
    .map((part, index) => (index % 2 === 0 ? part.replaceAll("<", "&lt;") : part))
    .join("`")
    .replaceAll("|", "\\|")
    .replaceAll("\n", " ");

function typeOf(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map(code).join(" | ");
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : (schema.type ?? "any");
  if (type === "array") return `list of ${schema.items ? typeOf(schema.items) : "any"}`;
  if (type === "object" && !schema.properties && typeof schema.additionalProperties === "object")
    return `map of string → ${typeOf(schema.additionalProperties)}`;
  if (schema.format === "cidrv4") return "IPv4 CIDR";
  return type;
}

/** Limits worth telling a user; JavaScript's safe-integer bounds that zod emits are not. */
function limits(schema: JsonSchema): string[] {
  const out: string[] = [];
  const bounded = (n: number | undefined) => n !== undefined && Math.abs(n) < 2 ** 52;
  if (bounded(schema.minimum) && bounded(schema.maximum))
    out.push(`${schema.minimum}–${schema.maximum}`);
  else if (bounded(schema.minimum)) out.push(`≥ ${schema.minimum}`);
  else if (bounded(schema.maximum)) out.push(`≤ ${schema.maximum}`);
  if (schema.minItems !== undefined || schema.maxItems !== undefined)
    out.push(`${schema.minItems ?? 0}–${schema.maxItems ?? "∞"} items`);
  if (schema.minLength !== undefined || schema.maxLength !== undefined)
    out.push(`${schema.minLength ?? 0}–${schema.maxLength ?? "∞"} characters`);
  // CIDR patterns are long and say no more than "IPv4 CIDR".
  if (schema.pattern && schema.format !== "cidrv4") out.push(`pattern ${code(schema.pattern)}`);
  if (schema.items) out.push(...limits(schema.items).map((l) => `each: ${l}`));
  if (schema.propertyNames) out.push(...limits(schema.propertyNames).map((l) => `keys: ${l}`));
  return out;
}

function defaultOf(schema: JsonSchema, required: boolean): string {
  if (required) return "**required**";
  if (schema.default === undefined) return "—";
  if (
    typeof schema.default === "object" &&
    schema.default !== null &&
    Object.keys(schema.default).length === 0
  )
    return schema.properties ? "(see fields)" : code(schema.default);
  return code(schema.default);
}

interface Row {
  path: string;
  schema: JsonSchema;
  required: boolean;
}

/** Every leaf field, depth first, in schema order; objects with fields become their own section. */
function sections(root: JsonSchema): Array<{ path: string; schema: JsonSchema; rows: Row[] }> {
  const out: Array<{ path: string; schema: JsonSchema; rows: Row[] }> = [];
  const visit = (path: string, schema: JsonSchema) => {
    const rows: Row[] = [];
    const nested: Array<[string, JsonSchema]> = [];
    for (const [key, child] of Object.entries(schema.properties ?? {})) {
      const childPath = path ? `${path}.${key}` : key;
      if (child.properties) nested.push([childPath, child]);
      // A map of objects (e.g. settings by cluster name): its value's fields get a section too.
      const value = child.additionalProperties;
      if (typeof value === "object" && value.properties)
        nested.push([`${childPath}.<name>`, value]);
      rows.push({
        path: childPath,
        schema: child,
        required: schema.required?.includes(key) ?? false,
      });
    }
    out.push({ path, schema, rows });
    for (const [childPath, child] of nested) visit(childPath, child);
  };
  visit("", root);
  return out;
}

function fieldTable(rows: Row[]): string[] {
  return [
    "| field | type | default | limits | description |",
    "|---|---|---|---|---|",
    ...rows.map(
      ({ path, schema, required }) =>
        `| ${cell(code(path))} | ${cell(typeOf(schema))} | ${cell(defaultOf(schema, required))} | ${cell(limits(schema).join("; ") || "—")} | ${cell(schema.description ?? (schema.properties ? "See below." : ""))} |`,
    ),
  ];
}

const GENERATED_NOTE =
  "<!-- Generated by app/docs/definition-reference.ts (`npm run docs`); do not edit by hand. -->";

export function definitionReference(): string {
  const schema = clusterJsonSchema() as JsonSchema;
  const lines = [
    GENERATED_NOTE,
    "",
    "# Cluster definition reference (`clusters/<name>.yaml`)",
    "",
    `${schema.description ?? ""} One file per cluster; the file name is the cluster's \`name\`. Unknown keys are errors (with a “did you mean” for typos). Editors validate as you type with the JSON Schema in \`schema/cluster.schema.json\`: start the file with \`# yaml-language-server: $schema=<path or URL to cluster.schema.json>\`.`,
    "",
    "Check a file locally with `npm run cli -- validate clusters/dev.yaml`: every problem is reported at once, with file, line, column, field, what was expected and what was found.",
    "",
  ];
  for (const section of sections(schema)) {
    lines.push(
      section.path === "" ? "## Top level" : `## \`${section.path}\``,
      "",
      ...(section.path && section.schema.description ? [section.schema.description, ""] : []),
      ...fieldTable(section.rows),
      "",
    );
  }
  lines.push(
    "## Rules across fields",
    "",
    "Checked in the same pass as the fields above, on every field that passed them (infra/definition/rules.ts); a rule that rests on a field with a problem of its own is not reported:",
    "",
    ...Object.values(CROSS_FIELD_RULES).flatMap((rules) => rules.map((rule) => `- ${rule}`)),
    "",
  );
  return `${lines.join("\n")}`;
}

export function configReference(): string {
  const schema = z.toJSONSchema(BotConfigSchema, { io: "input" }) as JsonSchema;
  const lines = [
    GENERATED_NOTE,
    "",
    `# Repository configuration reference (\`${CONFIG_PATH}\`)`,
    "",
    `${schema.description ?? ""} Optional: without the file every default applies. The bot reads it from the repository's **default branch**, never from the pull request, so a PR cannot change the rules it is judged by (for example drop the approval requirement and apply itself). An invalid file stops every command with a comment that says what is wrong.`,
    "",
  ];
  for (const section of sections(schema)) {
    lines.push(
      section.path === "" ? "## Fields" : `## \`${section.path}\``,
      "",
      ...fieldTable(section.rows),
      "",
    );
  }
  lines.push(
    "Example:",
    "",
    "```yaml",
    "definitionsPath: clusters",
    "autoplan: true",
    "autoApplyOnMerge: true",
    "apply:",
    "  requirements: [approved, mergeable]",
    "forkPullRequests: ignore",
    "```",
    "",
  );
  return lines.join("\n");
}

/** What `npm run docs` writes: repository-relative path → content. */
export function generatedDocs(): Record<string, string> {
  return {
    [DEFINITION_REFERENCE_PATH]: definitionReference(),
    [CONFIG_REFERENCE_PATH]: configReference(),
  };
}

if (process.argv[1]?.endsWith("app/docs/definition-reference.ts")) {
  for (const [path, content] of Object.entries(generatedDocs())) {
    writeFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), content);
    process.stdout.write(`wrote ${path}\n`);
  }
}
