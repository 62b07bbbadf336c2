/**
 * The guardrails a PR's cluster is held to (app/engine/guardrails/): the operator's, from the
 * bindings file no repository can edit, tightened by the repository's config, which is read from
 * the default branch (config.ts) — never from the PR's head, so a PR cannot loosen its own.
 *
 * And the one way past a refusal: `/k3s apply --override-guardrail <id>`, by someone with the
 * permission every side that sets the rule names, for that apply only, said on the PR.
 */
import type { ClusterConfig } from "../../infra/definition/config";
import type { DefinitionSource } from "../engine/cluster-runs";
import { describeError, withRole } from "../engine/cluster-runs";
import { evaluateGuardrails, type GuardrailResult } from "../engine/guardrails/evaluate";
import { type GuardrailId, type GuardrailSource, tighten } from "../engine/guardrails/rules";
import { type Placement, withPlacement } from "../engine/placement";
import { operatorGuardrails } from "../engine/repository-bindings";
import { type BotConfig, CONFIG_PATH } from "./config";
import type { EventContext } from "./context";
import { atLeast } from "./permissions";

/** Every guardrail in force for this cluster, kept or refused; empty when none is set. */
export async function checkGuardrails(
  ctx: EventContext,
  config: BotConfig,
  cluster: ClusterConfig,
  source: DefinitionSource,
): Promise<GuardrailResult[]> {
  const sources: GuardrailSource[] = [
    ...operatorGuardrails(ctx.runs.bindings, ctx.github.fullName),
    ...(config.guardrails
      ? [{ origin: `${CONFIG_PATH} (default branch)`, rules: config.guardrails }]
      : []),
  ];
  if (sources.length === 0) return [];
  const inForce = tighten(sources);
  const needsAccount = inForce.rules.accounts !== undefined;
  let account: { id: string | undefined; from: string } = { id: undefined, from: "not needed" };
  if (needsAccount) {
    const from = cluster.aws.roleArn
      ? `the account of the role ${cluster.aws.roleArn}`
      : cluster.aws.accountId
        ? "aws.accountId"
        : "the bot's own AWS identity";
    try {
      account = { id: await ctx.runs.accountOf(cluster), from };
    } catch (error) {
      account = { id: undefined, from: `${from} could not be read: ${describeError(error)}` };
    }
  }
  return evaluateGuardrails(
    { config: cluster, text: source.text, file: source.file, account },
    inForce,
  );
}

/** The same for a definition not loaded yet, placed and given its role as a plan does. */
export async function checkSourceGuardrails(
  ctx: EventContext,
  config: BotConfig,
  source: DefinitionSource,
  placement: Placement | undefined,
  roleArn: string | undefined,
): Promise<GuardrailResult[]> {
  const loaded = ctx.runs.load(source);
  // A definition that does not load is reported as such by the plan; there is nothing to judge.
  if (!loaded.ok) return [];
  const placed = placement ? withPlacement(loaded.config, placement) : loaded.config;
  return checkGuardrails(ctx, config, withRole(placed, roleArn), source);
}

/**
 * Why the overrides asked for cannot be granted (empty: all can). An override names a rule that
 * refuses this definition, that every side setting it lets be overridden, and the person has the
 * permission they name.
 */
export async function overrideRefusals(
  ctx: EventContext,
  results: readonly GuardrailResult[],
  asked: readonly GuardrailId[],
  user: string,
): Promise<string[]> {
  if (asked.length === 0) return [];
  const permission = await ctx.github.permission(user);
  const reasons: string[] = [];
  for (const id of asked) {
    const result = results.find((r) => r.id === id);
    if (!result?.refusal)
      reasons.push(`the guardrail \`${id}\` does not refuse this definition: nothing to override`);
    else if (!result.overridableBy)
      reasons.push(
        `the guardrail \`${id}\` (set by ${result.origins.join(" and ")}) may not be overridden`,
      );
    else if (!atLeast(permission, result.overridableBy))
      reasons.push(
        `@${user} needs ${result.overridableBy} access to override the guardrail \`${id}\` (has: ${permission})`,
      );
  }
  return reasons;
}
