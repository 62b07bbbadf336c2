/**
 * Drift: does a cluster still match its definition on the default branch? A `terraform plan
 * -detailed-exitcode` of that definition against the cluster's state: exit 0 clean, exit 2
 * something differs (changed behind Terraform's back, or merged and not yet applied).
 *
 * It never applies and never saves a plan. It takes no cluster lock, and runs Terraform with
 * `-lock=false`: a read-only plan does not write the state, so it must not hold the state lock
 * and block an apply for the length of a plan. Within this process it waits its turn behind a
 * plan or apply of the same state (the run queue).
 */
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import type { ClusterConfig } from "../../infra/definition/config";
import { type ClusterRuns, type DefinitionSource, describeError } from "./cluster-runs";
import type { DefinitionProblem } from "./definitions/problems";
import { stateRefusal } from "./ownership";
import { planCluster } from "./plan/plan-cluster";
import type { ResourceChange } from "./plan/summary";
import { bindingRefusal } from "./repository-bindings";

export type DriftOutcome =
  | { kind: "invalid"; problems: DefinitionProblem[] }
  /** No state yet: the cluster was never applied, so it cannot drift. */
  | { kind: "not-applied"; config: ClusterConfig }
  | { kind: "refused"; reason: string; config: ClusterConfig }
  | { kind: "failed"; error: string; config: ClusterConfig }
  | { kind: "clean"; config: ClusterConfig }
  | { kind: "drifted"; config: ClusterConfig; changes: ResourceChange[]; planText: string };

/** Plans `source` (the default branch's definition) against its state, for `repo`. */
export async function checkDrift(
  runs: ClusterRuns,
  repo: string,
  source: DefinitionSource,
  roleArn?: string,
): Promise<DriftOutcome> {
  const loaded = runs.load(source);
  if (!loaded.ok) return { kind: "invalid", problems: loaded.problems };
  const named = roleArn
    ? { ...loaded.config, aws: { ...loaded.config.aws, roleArn } }
    : loaded.config;
  const options = runs.engineOptions;
  // The same stack a plan of this definition makes (ClusterRuns.resolveTarget): node images as
  // literal ids, else every launch template would differ from the applied one. An image left
  // unpinned that Canonical has since replaced shows here as a change of the launch templates
  // (docs/drift.md).
  let config: ClusterConfig;
  let accountId: string | undefined;
  try {
    ({ config, accountId } = await runs.resolveTarget(named));
  } catch (error) {
    return { kind: "failed", error: describeError(error), config: named };
  }
  const bound = bindingRefusal(runs.bindings, repo, config);
  if (bound) return { kind: "refused", reason: bound, config };
  const { clients } = runs.services(config);
  try {
    if (!(await stateExists(clients.s3, config))) return { kind: "not-applied", config };
    const owned = await stateRefusal(clients.s3, config, repo);
    if (owned) return { kind: "refused", reason: owned, config };
    const workDir = runs.workDir(repo, config.name, "drift");
    return await options.queue.run(`${config.state.bucket}/${config.state.key}`, async () => {
      const result = await planCluster({
        config,
        workDir,
        stackOptions: runs.stackOptions(repo, config, workDir, accountId),
        ...(options.aws.customize ? { customize: options.aws.customize } : {}),
        runner: {
          env: options.aws.terraformEnv(),
          ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
        },
        planArgs: ["-lock=false"],
        synthCache: runs.synthCache,
        summaryFrom: "json",
      });
      if (!result.summary.hasChanges) return { kind: "clean", config } as const;
      return {
        kind: "drifted",
        config,
        changes: result.summary.changes,
        planText: result.planText,
      } as const;
    });
  } catch (error) {
    return { kind: "failed", error: describeError(error), config };
  }
}

async function stateExists(s3: ClusterRunsS3, config: ClusterConfig): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: config.state.bucket, Key: config.state.key }));
    return true;
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === "NotFound" || name === "NoSuchKey" || name === "NoSuchBucket") return false;
    throw error;
  }
}
type ClusterRunsS3 = ReturnType<ClusterRuns["services"]>["clients"]["s3"];

/** What part of the cluster a Terraform resource type is, in the words of the definition. */
const PARTS: Array<[RegExp, string]> = [
  [/security_group|_ingress_rule|_egress_rule/, "firewall rules (security groups)"],
  [/^aws_(instance|launch_template|autoscaling_|placement_group)/, "nodes (servers and workers)"],
  [/^aws_(lb|alb)/, "load balancers (Kubernetes API, ingress)"],
  [/^aws_db_|^aws_rds_/, "datastore (RDS)"],
  [/^aws_efs_/, "shared storage (EFS)"],
  [/^aws_(vpc|subnet|route|nat_gateway|eip|internet_gateway|network_acl|default_)/, "network"],
  [/^aws_iam_/, "node permissions (IAM)"],
  [/^aws_secretsmanager_|^aws_kms_|^aws_ssm_/, "secrets"],
  [/^aws_cloudwatch_|^aws_sns_|^aws_sqs_|^aws_lambda_/, "monitoring and scaling hooks"],
];

export function clusterPart(type: string): string {
  return PARTS.find(([pattern]) => pattern.test(type))?.[1] ?? "other";
}

const VERBS: Record<ResourceChange["kind"], string> = {
  add: "missing: would be created",
  change: "changed: would be set back",
  replace: "changed: would be replaced",
  destroy: "not in the definition: would be destroyed",
};

/** The drifted resources grouped by part of the cluster, as Markdown list items. */
export function driftedResources(changes: readonly ResourceChange[]): string[] {
  const byPart = new Map<string, string[]>();
  for (const change of changes) {
    const part = clusterPart(change.type);
    byPart.set(part, [...(byPart.get(part) ?? []), `\`${change.address}\` ${VERBS[change.kind]}`]);
  }
  return [...byPart.entries()].map(([part, items]) => `- **${part}**: ${items.join("; ")}`);
}
