/**
 * Which repository may manage what: the operator's answer, in a file no repository can edit.
 *
 * Every repository the GitHub App is installed on can open PRs with definitions, and a
 * definition names its state bucket and key and its role. Without bindings, a second repository
 * (with its own, looser rules: another set of people with write access, `forkPullRequests: plan`,
 * no required approvals) could plan and apply the first one's cluster by naming the same state.
 * The operator lists, per repository, the state it may use and the roles and accounts it may act
 * as; the bot refuses the rest. The file is YAML, named by K3S_BOT_REPOSITORY_BINDINGS:
 *
 *   repositories:
 *     acme/platform:
 *       state:
 *         - bucket: acme-tfstate
 *           keyPrefix: k3s/          # optional: any key in the bucket when omitted
 *       roleArns:                    # optional: the bot's own identity only when omitted
 *         - arn:aws:iam::123456789012:role/k3s-bot-prod
 *       accounts: ["123456789012"]   # optional: any account when omitted
 *       guardrails: { maxWorkers: 5 } # optional: this repository's guardrails
 *   guardrails:                      # optional: every repository's (docs/guardrails.md)
 *     regions: [eu-central-1]
 *
 * Unset, every repository may use any state (one repository per installation, the default
 * deployment); a warning says so at start. Set, a repository not listed may manage nothing,
 * unless the file has no `repositories` at all (it then sets guardrails only).
 * With or without bindings, the first repository to plan a state owns it (ownership.ts).
 */
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { z } from "zod";
import type { ClusterConfig } from "../../infra/definition/config";
import { type GuardrailSource, GuardrailsSchema } from "./guardrails/rules";

export const BINDINGS_SETTING = "K3S_BOT_REPOSITORY_BINDINGS";

const RoleArn = z
  .string()
  .regex(/^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]+$/, "expected an IAM role ARN");

const BindingSchema = z.strictObject({
  state: z
    .array(
      z.strictObject({
        bucket: z.string().min(3).max(63),
        keyPrefix: z.string().min(1).optional(),
      }),
    )
    .min(1, "list at least one state bucket the repository may use"),
  roleArns: z.array(RoleArn).default([]),
  accounts: z.array(z.string().regex(/^\d{12}$/, "expected a 12-digit account id")).optional(),
  /** This repository's guardrails, on top of the file's own (docs/guardrails.md). */
  guardrails: GuardrailsSchema.optional(),
});

export const BindingsSchema = z.strictObject({
  /** Omitted: the file sets guardrails only, and any repository may use any state. */
  repositories: z
    .record(
      z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "expected owner/name"),
      BindingSchema,
    )
    .optional(),
  /** Guardrails for every repository; a repository's config can only tighten them. */
  guardrails: GuardrailsSchema.optional(),
});

export type RepositoryBinding = z.output<typeof BindingSchema>;
export type RepositoryBindings = z.output<typeof BindingsSchema>;

/** Parses the bindings file; an error names the file and field, for the operator. */
export function parseBindings(text: string, source: string): RepositoryBindings {
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (document.errors.length > 0)
    throw new Error(`${source}: ${document.errors[0]?.message ?? "invalid YAML"}`);
  const parsed = BindingsSchema.safeParse(document.toJS({ maxAliasCount: 20 }) ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "(top level)"}: ${issue.message}`,
    );
    throw new Error(`${source} (${BINDINGS_SETTING}): ${issues.join("; ")}`);
  }
  // Repository names are case-insensitive on GitHub.
  const { repositories, guardrails } = parsed.data;
  return {
    ...(guardrails ? { guardrails } : {}),
    ...(repositories
      ? {
          repositories: Object.fromEntries(
            Object.entries(repositories).map(([repo, binding]) => [repo.toLowerCase(), binding]),
          ),
        }
      : {}),
  };
}

/** The bindings the environment names, or undefined when the setting is unset. */
export function bindingsFromEnvironment(
  env: Record<string, string | undefined> = process.env,
): RepositoryBindings | undefined {
  const path = env[BINDINGS_SETTING];
  if (!path) return undefined;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(
      `${BINDINGS_SETTING}=${path}: cannot read the file (${(error as Error).message})`,
    );
  }
  return parseBindings(text, path);
}

/** Why `repo` may not manage the cluster as configured, or null when it may. */
export function bindingRefusal(
  bindings: RepositoryBindings | undefined,
  repo: string,
  config: ClusterConfig,
): string | null {
  if (!bindings?.repositories) return null;
  const binding = bindings.repositories[repo.toLowerCase()];
  const operator = `the bot's operator binds repositories to what they may manage (${BINDINGS_SETTING})`;
  if (!binding)
    return `${repo} may not manage any cluster: ${operator}, and this repository is not listed. Ask the operator to add it.`;
  const { bucket, key } = config.state;
  const stateAllowed = binding.state.some(
    (allowed) =>
      allowed.bucket === bucket && (!allowed.keyPrefix || key.startsWith(allowed.keyPrefix)),
  );
  if (!stateAllowed)
    return `${repo} may not use the state s3://${bucket}/${key}: ${operator}, and it allows ${binding.state
      .map((s) => `s3://${s.bucket}/${s.keyPrefix ?? ""}*`)
      .join(", ")}.`;
  const role = config.aws.roleArn;
  if (role && !binding.roleArns.includes(role))
    return `${repo} may not act as the role ${role}: ${operator}, and it allows ${binding.roleArns.length ? binding.roleArns.join(", ") : "no role (the bot's own identity only)"}.`;
  const account = role ? role.split(":")[4] : config.aws.accountId;
  if (binding.accounts && account && !binding.accounts.includes(account))
    return `${repo} may not manage AWS account ${account}: ${operator}, and it allows ${binding.accounts.join(", ")}.`;
  return null;
}

/** The operator's guardrails for `repo`: the file's own, then the repository's binding's. */
export function operatorGuardrails(
  bindings: RepositoryBindings | undefined,
  repo: string,
): GuardrailSource[] {
  const sources: GuardrailSource[] = [];
  const origin = `the bot's operator (${BINDINGS_SETTING})`;
  if (bindings?.guardrails) sources.push({ origin, rules: bindings.guardrails });
  const own = bindings?.repositories?.[repo.toLowerCase()]?.guardrails;
  if (own) sources.push({ origin, rules: own });
  return sources;
}
