/**
 * Guardrails: limits on what a cluster definition may ask for, checked on every plan and
 * blocking every apply that breaks one (docs/guardrails.md).
 *
 * Two places set them, with one schema:
 * - the operator, in the file named by K3S_BOT_REPOSITORY_BINDINGS (top-level `guardrails`, and
 *   `repositories.<owner/name>.guardrails`), which no repository can edit;
 * - the repository, in `.github/k3s-bot.yml` on its default branch (never the PR's head).
 *
 * The rules in force are the tightest of all sides (`tighten`): a repository can narrow what the
 * operator allows, never widen it. Overrides likewise: a rule may be overridden only when every
 * side that sets it says so, by someone with the highest permission any of them names.
 */
import { z } from "zod";

export const GUARDRAIL_IDS = [
  "accounts",
  "regions",
  "instanceTypes",
  "maxWorkers",
  "maxMonthlyCostUsd",
  "deletionProtection",
  "privateApi",
  "adminCidrsMinPrefix",
  "requiredTags",
] as const;
export type GuardrailId = (typeof GUARDRAIL_IDS)[number];

export const PERMISSIONS = ["read", "triage", "write", "maintain", "admin"] as const;
export type GuardrailPermission = (typeof PERMISSIONS)[number];

export const GuardrailsSchema = z
  .strictObject({
    accounts: z
      .array(z.string().regex(/^\d{12}$/, "expected a 12-digit account id"))
      .min(1)
      .optional()
      .describe(
        "AWS accounts a cluster may live in (its role's account, else `aws.accountId`, else the bot's own).",
      ),
    regions: z
      .array(
        z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "expected a region such as eu-central-1"),
      )
      .min(1)
      .optional()
      .describe("Regions a cluster may be in."),
    instanceTypes: z
      .array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/, "expected an EC2 instance type"))
      .min(1)
      .optional()
      .describe("EC2 instance types the servers and workers may use."),
    maxWorkers: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe("Largest `workers.max` a definition may set."),
    maxMonthlyCostUsd: z
      .number()
      .positive()
      .optional()
      .describe(
        "Largest estimated monthly cost in USD, with workers at `workers.max` and on-demand prices (docs/cost.md). A cluster whose prices are not known is refused: its cost cannot be checked.",
      ),
    deletionProtection: z
      .boolean()
      .optional()
      .describe(
        "`true`: a PostgreSQL datastore must keep `datastore.deletionProtection: true` (etcd has no database to protect).",
      ),
    privateApi: z
      .boolean()
      .optional()
      .describe(
        "`true`: the Kubernetes API must not be internet-facing (`network.apiEndpoint: private`).",
      ),
    adminCidrsMinPrefix: z
      .number()
      .int()
      .min(0)
      .max(32)
      .optional()
      .describe(
        "Every `network.adminCidrs` block must be this narrow or narrower: 8 refuses `0.0.0.0/0` and any block wider than a /8; 32 allows single addresses only.",
      ),
    requiredTags: z
      .array(z.string().min(1).max(128))
      .optional()
      .describe("Tag keys every definition must set in `tags`, with a non-empty value."),
    overrides: z
      .strictObject({
        rules: z
          .array(z.enum(GUARDRAIL_IDS))
          .default([])
          .describe(
            "Guardrails set here that may be overridden for one apply (`/k3s apply --override-guardrail <id>`). None by default.",
          ),
        permission: z
          .enum(PERMISSIONS)
          .default("admin")
          .describe("The least repository permission that may override them."),
      })
      .optional()
      .describe("Which of these guardrails a person may override, and who."),
  })
  .describe("Guardrails: limits every definition is checked against before it may be applied.");

export type Guardrails = z.output<typeof GuardrailsSchema>;

/** One side's rules, and where they come from (for messages). */
export interface GuardrailSource {
  origin: string;
  rules: Guardrails;
}

/** The rules in force, with each rule's override (null: it may not be overridden). */
export interface GuardrailsInForce {
  rules: Omit<Guardrails, "overrides">;
  /** Per rule set by any side: where it comes from, and who may override it. */
  origins: Partial<Record<GuardrailId, string[]>>;
  overridableBy: Partial<Record<GuardrailId, GuardrailPermission | null>>;
}

const intersect = (a: string[] | undefined, b: string[] | undefined) =>
  a === undefined ? b : b === undefined ? a : a.filter((item) => b.includes(item));
const lowest = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);
const highest = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b);
const either = (a: boolean | undefined, b: boolean | undefined) =>
  a === undefined ? b : b === undefined ? a : a || b;

/**
 * The tightest of every side's rules. Lists of what is allowed intersect (an empty intersection
 * allows nothing), limits take the smallest, requirements are kept when any side asks
 * (`false` cannot switch off another side's `true`), required tags add up.
 */
export function tighten(sources: readonly GuardrailSource[]): GuardrailsInForce {
  const rules: Omit<Guardrails, "overrides"> = {};
  const origins: GuardrailsInForce["origins"] = {};
  const overridableBy: GuardrailsInForce["overridableBy"] = {};
  for (const { origin, rules: side } of sources) {
    const set = (id: GuardrailId) => {
      if (side[id] === undefined) return;
      origins[id] = [...(origins[id] ?? []), origin];
      // Every side that sets a rule must allow its override; the highest permission wins.
      const mayOverride = side.overrides?.rules.includes(id) ?? false;
      const permission = side.overrides?.permission ?? "admin";
      const before = overridableBy[id];
      if (!mayOverride) overridableBy[id] = null;
      else if (before === undefined) overridableBy[id] = permission;
      else if (before !== null)
        overridableBy[id] =
          PERMISSIONS[Math.max(PERMISSIONS.indexOf(before), PERMISSIONS.indexOf(permission))] ??
          "admin";
    };
    GUARDRAIL_IDS.forEach(set);
    const accounts = intersect(rules.accounts, side.accounts);
    const regions = intersect(rules.regions, side.regions);
    const instanceTypes = intersect(rules.instanceTypes, side.instanceTypes);
    const maxWorkers = lowest(rules.maxWorkers, side.maxWorkers);
    const maxMonthlyCostUsd = lowest(rules.maxMonthlyCostUsd, side.maxMonthlyCostUsd);
    const deletionProtection = either(rules.deletionProtection, side.deletionProtection);
    const privateApi = either(rules.privateApi, side.privateApi);
    const adminCidrsMinPrefix = highest(rules.adminCidrsMinPrefix, side.adminCidrsMinPrefix);
    const requiredTags =
      rules.requiredTags === undefined && side.requiredTags === undefined
        ? undefined
        : [...new Set([...(rules.requiredTags ?? []), ...(side.requiredTags ?? [])])];
    Object.assign(rules, {
      accounts,
      regions,
      instanceTypes,
      maxWorkers,
      maxMonthlyCostUsd,
      deletionProtection,
      privateApi,
      adminCidrsMinPrefix,
      requiredTags,
    });
  }
  for (const id of GUARDRAIL_IDS) if (rules[id] === undefined) delete rules[id];
  return { rules, origins, overridableBy };
}
