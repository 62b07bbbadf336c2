/**
 * Checks one definition against the guardrails in force (rules.ts). No Terraform and no AWS
 * call: the definition, the account it will act in and the cost estimate (app/docs/cost.ts) are
 * all it needs, so the verdict is there before the plan finishes.
 *
 * Every refusal names the file, line and field it is about, the way definition problems do
 * (definitions/problems.ts); a rule whose field is left to its default points at the nearest
 * key written in the file and says the default.
 */
import type { ClusterConfig } from "../../../infra/definition/config";
import { clusterCost } from "../../docs/cost";
import type { DefinitionProblem } from "../definitions/problems";
import { locate } from "../definitions/warnings";
import type { GuardrailId, GuardrailPermission, GuardrailsInForce } from "./rules";

export interface GuardrailResult {
  id: GuardrailId;
  /** What the rule asks, e.g. "regions: eu-central-1". */
  rule: string;
  /** Where the rule comes from: the operator, the repository config, or both. */
  origins: string[];
  /** Null when the definition keeps the rule; else where and why it does not. */
  refusal: DefinitionProblem | null;
  /** Who may override a refusal for one apply; null: nobody. */
  overridableBy: GuardrailPermission | null;
}

export interface GuardrailInput {
  config: ClusterConfig;
  /** The definition's text and path, for positions. */
  text: string;
  file: string;
  /** The account the cluster will be managed in, and how it was found. */
  account: { id: string | undefined; from: string };
}

const list = (items: readonly string[]) =>
  items.length === 0 ? "(none: nothing is allowed)" : items.join(", ");

export function evaluateGuardrails(
  input: GuardrailInput,
  inForce: GuardrailsInForce,
): GuardrailResult[] {
  const { config, text, file } = input;
  const results: GuardrailResult[] = [];
  const at = (
    path: string[],
    field: string,
    message: string,
    matches: (value: string) => boolean = () => false,
  ): DefinitionProblem => {
    const where = locate(text, path, matches);
    return {
      file,
      line: where.line,
      column: where.column,
      field: where.index === undefined ? field : `${field}[${where.index}]`,
      message,
    };
  };
  const add = (id: GuardrailId, rule: string, refusal: DefinitionProblem | null) =>
    results.push({
      id,
      rule,
      origins: inForce.origins[id] ?? [],
      refusal,
      overridableBy: inForce.overridableBy[id] ?? null,
    });
  const { rules } = inForce;

  if (rules.accounts) {
    const { id, from } = input.account;
    const path = config.aws.roleArn ? ["aws", "roleArn"] : ["aws", "accountId"];
    add(
      "accounts",
      `accounts: ${list(rules.accounts)}`,
      id && rules.accounts.includes(id)
        ? null
        : at(
            path,
            path.join("."),
            id
              ? `AWS account ${id} (${from}) is not one of the allowed accounts: ${list(rules.accounts)}`
              : `the AWS account cannot be told (${from}); set aws.accountId to one of ${list(rules.accounts)}`,
          ),
    );
  }
  if (rules.regions)
    add(
      "regions",
      `regions: ${list(rules.regions)}`,
      rules.regions.includes(config.region)
        ? null
        : at(
            ["region"],
            "region",
            `region ${config.region} is not allowed: use one of ${list(rules.regions)}`,
          ),
    );
  if (rules.instanceTypes) {
    const allowed = rules.instanceTypes;
    const bad = (["controlPlane", "workers"] as const).filter(
      (part) => !allowed.includes(config[part].instanceType),
    );
    const part = bad[0];
    add(
      "instanceTypes",
      `instance types: ${list(allowed)}`,
      part === undefined
        ? null
        : at(
            [part, "instanceType"],
            `${part}.instanceType`,
            `${config[part].instanceType} is not an allowed instance type${bad.length > 1 ? " (nor is the workers' one)" : ""}: use one of ${list(allowed)}`,
          ),
    );
  }
  if (rules.maxWorkers !== undefined)
    add(
      "maxWorkers",
      `at most ${rules.maxWorkers} workers`,
      config.workers.max <= rules.maxWorkers
        ? null
        : at(
            ["workers", "max"],
            "workers.max",
            `${config.workers.max} workers is more than the ${rules.maxWorkers} allowed`,
          ),
    );
  if (rules.maxMonthlyCostUsd !== undefined)
    add(
      "maxMonthlyCostUsd",
      `at most ${usd(rules.maxMonthlyCostUsd)} a month`,
      costRefusal(config, rules.maxMonthlyCostUsd, at),
    );
  if (rules.deletionProtection)
    add(
      "deletionProtection",
      "database deletion protection on",
      config.datastore.engine !== "postgres" || config.datastore.deletionProtection
        ? null
        : at(
            ["datastore", "deletionProtection"],
            "datastore.deletionProtection",
            "the PostgreSQL datastore must keep deletion protection on",
          ),
    );
  if (rules.privateApi)
    add(
      "privateApi",
      "Kubernetes API not internet-facing",
      config.network.apiEndpoint === "private"
        ? null
        : at(
            ["network", "apiEndpoint"],
            "network.apiEndpoint",
            "the Kubernetes API must not be internet-facing: set network.apiEndpoint: private",
          ),
    );
  if (rules.adminCidrsMinPrefix !== undefined) {
    const min = rules.adminCidrsMinPrefix;
    const wide = config.network.adminCidrs.find((cidr) => Number(cidr.split("/")[1]) < min);
    add(
      "adminCidrsMinPrefix",
      `admin CIDRs /${min} or narrower`,
      wide === undefined
        ? null
        : at(
            ["network", "adminCidrs"],
            "network.adminCidrs",
            `${wide} is wider than the /${min} allowed for who may reach the Kubernetes API`,
            (value) => value.trim() === wide,
          ),
    );
  }
  if (rules.requiredTags) {
    const missing = rules.requiredTags.filter((key) => !config.tags[key]?.trim());
    add(
      "requiredTags",
      `tags: ${list(rules.requiredTags)}`,
      missing.length === 0
        ? null
        : at(
            ["tags"],
            "tags",
            `missing required tag${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (with a value)`,
          ),
    );
  }
  return results;
}

const usd = (value: number) => `$${value.toLocaleString("en-US", { maximumFractionDigits: 2 })}`;

function costRefusal(
  config: ClusterConfig,
  max: number,
  at: (path: string[], field: string, message: string) => DefinitionProblem,
): DefinitionProblem | null {
  let total: number;
  try {
    total = clusterCost(config).totalAtMax;
  } catch (error) {
    // No price for a region or an instance type: the cost cannot be checked, so it is refused.
    return at(
      [],
      "",
      `the monthly cost cannot be estimated (${error instanceof Error ? error.message : error}), so it cannot be checked against ${usd(max)}`,
    );
  }
  if (total <= max) return null;
  return at(
    ["workers", "max"],
    "workers.max",
    `estimated ${usd(total)} a month with ${config.workers.max} workers (on-demand prices, docs/cost.md) is more than the ${usd(max)} allowed`,
  );
}

/** The refusals a person has not overridden. */
export function standingRefusals(
  results: readonly GuardrailResult[],
  overridden: readonly GuardrailId[] = [],
): GuardrailResult[] {
  return results.filter((r) => r.refusal && !overridden.includes(r.id));
}
