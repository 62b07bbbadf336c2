/**
 * The repository's bot configuration, `.github/k3s-bot.yml`, and its defaults.
 *
 * Always read from the default branch, never from the PR: a PR must not be able to change the
 * rules it is judged by (Atlantis warns about exactly this for its repo-side config).
 */
import { parseDocument } from "yaml";
import { z } from "zod";
import { CLUSTER_NAME_PATTERN } from "../../infra/definition/schema";
import { GuardrailsSchema } from "../engine/guardrails/rules";
import type { RepoGitHub } from "./github";

export const CONFIG_PATH = ".github/k3s-bot.yml";

const roleArn = z
  .string()
  .regex(/^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]+$/, "expected an IAM role ARN");

export const BotConfigSchema = z
  .strictObject({
    definitionsPath: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, "expected a folder path such as clusters")
      .refine((p) => !p.split("/").includes(".."), "the path cannot contain ..")
      .default("clusters")
      .describe("Folder holding the cluster definitions (<name>.yaml)."),
    autoplan: z
      .boolean()
      .default(true)
      .describe(
        "Plan automatically when a PR that changes cluster definitions is opened or pushed to.",
      ),
    autoApplyOnMerge: z
      .boolean()
      .default(true)
      .describe(
        "When a PR that changed definitions is merged, plan and apply them from the base branch.",
      ),
    autoApplyBranches: z
      .array(
        z
          .string()
          .regex(/^[A-Za-z0-9._/-]+$/, "expected a branch name")
          .refine((b) => !b.split("/").includes(".."), "a branch name cannot contain .."),
      )
      .default([])
      .describe(
        "Branches besides the default branch whose merges apply (autoApplyOnMerge). Each must have a ruleset that requires an approving review; a merge into any other branch applies nothing.",
      ),
    plan: z
      .strictObject({
        permission: z
          .enum(["read", "triage", "write", "maintain", "admin"])
          .default("write")
          .describe(
            "The least repository permission that may comment `/k3s plan` (a plan runs Terraform with the bot's AWS identity and takes the cluster's lock).",
          ),
        autoplanLimit: z
          .number()
          .int()
          .min(0)
          .max(20)
          .default(5)
          .describe(
            "At most this many clusters are planned automatically for one push; more are listed on the PR and planned by name (`/k3s plan <name> …`).",
          ),
      })
      .prefault({}),
    apply: z
      .strictObject({
        requirements: z
          .array(z.enum(["approved", "mergeable"]))
          .default(["approved", "mergeable"])
          .describe(
            "What apply needs besides write access and a plan for the current commit: an approval of that commit by a writer who is neither the author nor its last pusher (bots never count), and a mergeable PR (the bot's own checks excepted; reviews the branch rules require are honoured).",
          ),
      })
      .prefault({}),
    updates: z
      .strictObject({
        pullRequests: z
          .boolean()
          .default(true)
          .describe(
            "Open pull requests for a newer Ubuntu image, k3s patch release or chart version (the scheduled update job, docs/updates.md). False: this repository gets none; the operator's K3S_BOT_UPDATES_INTERVAL_HOURS=0 turns the job off for every repository.",
          ),
      })
      .prefault({}),
    forkPullRequests: z
      .enum(["ignore", "plan"])
      .default("ignore")
      .describe("Whether PRs from forks may be planned. They can never apply."),
    clusters: z
      .record(
        z.string().regex(CLUSTER_NAME_PATTERN, "expected a cluster name"),
        z.strictObject({
          roleArn: roleArn
            .optional()
            .describe(
              "Role the bot assumes (STS) for this cluster; wins over the definition's `aws.roleArn`.",
            ),
        }),
      )
      .default({})
      .describe("Per-cluster settings, by cluster name."),
    guardrails: GuardrailsSchema.optional().describe(
      "Limits every definition is checked against on each plan; a refused one is not applied (docs/guardrails.md). The operator's guardrails apply on top: these can only tighten them.",
    ),
  })
  .describe("k3s-bot repository configuration.");

export type BotConfig = z.output<typeof BotConfigSchema>;

export type ConfigResult = { ok: true; config: BotConfig } | { ok: false; message: string };

/** Parses the config file's text; a missing file (`null`) means all defaults. */
export function parseBotConfig(text: string | null): ConfigResult {
  if (text === null) return { ok: true, config: BotConfigSchema.parse({}) };
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    return { ok: false, message: `${CONFIG_PATH}: ${doc.errors[0]?.message ?? "invalid YAML"}` };
  }
  let value: unknown;
  try {
    // A small alias budget: a config file has no reason for many, and alias bombs expand here.
    value = doc.toJS({ maxAliasCount: 20 }) ?? {};
  } catch (error) {
    return {
      ok: false,
      message: `${CONFIG_PATH}: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const parsed = BotConfigSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (i) => `${i.path.join(".") || "(top level)"}: ${i.message}`,
    );
    return { ok: false, message: `${CONFIG_PATH} (default branch): ${issues.join("; ")}` };
  }
  return { ok: true, config: parsed.data };
}

/**
 * The repository's config, from its default branch: a PR cannot change the rules it is judged
 * by. Read once per event, then passed to whatever handles it.
 */
export async function readBotConfig(
  github: Pick<RepoGitHub, "defaultBranch" | "fileAt">,
): Promise<ConfigResult> {
  const branch = await github.defaultBranch();
  return parseBotConfig(await github.fileAt(CONFIG_PATH, branch));
}
