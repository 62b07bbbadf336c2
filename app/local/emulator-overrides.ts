// The narrow workarounds for gaps of the emulator (moto 5.2.1), applied by tests and the demo
// only, never to what real AWS gets. Each names the gap it answers; docs/emulator.md has
// the measurements behind them. Nothing here weakens a resource: the workarounds leave out a
// call moto cannot serve, or stop Terraform from chasing a value moto reads back wrongly.

import { DeleteBucketPolicyCommand, type S3Client } from "@aws-sdk/client-s3";
import { ETCD_SNAPSHOTS_TLS_POLICY_ID } from "../../infra/etcd-snapshots";
import type { K3sClusterStack } from "../../infra/stack";

/**
 * Gap: moto evaluates bucket policies on object requests but ignores every condition operator
 * except StringEquals, so the state bucket's TLS-only policy (Deny s3:* when
 * `Bool aws:SecureTransport = false`) denies every object request, TLS or not: Terraform's S3
 * backend then fails with 403 on HeadObject. Call after ensureStateBackend; a later
 * ensureStateBackend reports the missing policy as a warning and leaves it missing.
 */
export async function dropTlsOnlyBucketPolicy(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
}

/**
 * Arguments whose value moto reads back differently from what was written, so that every plan
 * after an apply would show a change (docs/emulator.md gap 3, plus those found with this stack).
 * Ignored in emulator runs only, where a second plan must come out empty.
 */
const EMULATOR_PERPETUAL_DIFFS: Record<string, { ignore: string[]; gap: string }> = {
  aws_autoscaling_group: {
    ignore: ["default_instance_warmup"],
    gap: "moto does not store DefaultInstanceWarmup and reads back 0",
  },
  aws_autoscaling_lifecycle_hook: {
    ignore: ["role_arn", "notification_target_arn"],
    gap: "moto invents a role and a notification target for hooks that have none",
  },
  aws_autoscaling_policy: {
    ignore: ["enabled", "predictive_scaling_configuration"],
    gap: "moto does not read back `enabled`, and reads back an empty predictive scaling block",
  },
  aws_db_parameter_group: {
    ignore: ["parameter"],
    gap: "moto does not read back the parameters of a DB parameter group",
  },
  aws_launch_template: {
    ignore: ["tag_specifications"],
    gap: "moto echoes the provider's default_tags back into tag_specifications",
  },
  aws_vpc_security_group_ingress_rule: {
    ignore: ["referenced_security_group_id", "description"],
    gap: "for rules that reference a group, moto reads back `<account>/sg-…` instead of `sg-…` and no description, then rejects the update",
  },
  aws_vpc_security_group_egress_rule: {
    ignore: ["referenced_security_group_id", "description"],
    gap: "as for ingress rules",
  },
};

/** The part of a cdktf resource the workarounds use; duck-typed to keep cdktf in infra/. */
interface OverridableResource {
  terraformResourceType: string;
  friendlyUniqueId: string;
  lifecycle?: { ignoreChanges?: string[] | "all" };
}

function isOverridableResource(node: unknown): node is OverridableResource {
  const candidate = node as Partial<OverridableResource>;
  return typeof candidate.terraformResourceType === "string" && "lifecycle" in candidate;
}

/**
 * Adjusts a constructed stack for a run against the emulator: the `customize` hook of
 * infra/synth.ts's synthesizeCluster. Returns what it changed, one line per resource, so that
 * tests and the demo can say which workarounds applied.
 */
export function applyEmulatorWorkarounds(stack: K3sClusterStack): string[] {
  const applied: string[] = [];

  // Gap 1 (no instance refresh) needs no workaround in the stack: it has no `instance_refresh`
  // block; the engine refreshes after apply, and the emulator environment has no rollout clients.

  // Gap (found with this stack, listed in docs/emulator.md): PutBackupPolicy is not implemented for EFS (500;
  // the provider retries until it times out), only DescribeBackupPolicy is. Left out of the
  // emulator run: backups are AWS Backup's business, nothing in the stack depends on them.
  if (stack.storage?.node.tryRemoveChild(stack.storage.backupPolicy.node.id)) {
    applied.push(`${stack.storage.backupPolicy.friendlyUniqueId}: left out`);
  }

  // The etcd snapshot bucket's TLS-only policy: moto enforces bucket policies and its endpoint
  // is plain HTTP, so every later read of the bucket would be denied (as for the state bucket,
  // dropTlsOnlyBucketPolicy above). No node boots in an emulator run to use the bucket.
  const snapshots = stack.etcdSnapshots;
  if (snapshots?.node.tryRemoveChild(ETCD_SNAPSHOTS_TLS_POLICY_ID)) {
    applied.push(`${snapshots.bucket.friendlyUniqueId}: TLS-only bucket policy left out`);
  }

  for (const node of stack.node.findAll()) {
    if (!isOverridableResource(node)) continue;
    const diff = EMULATOR_PERPETUAL_DIFFS[node.terraformResourceType];
    if (diff === undefined) continue;
    // Added to what the stack itself ignores (e.g. the autoscaler's desired_capacity), and the
    // rest of the lifecycle block (create_before_destroy) stays.
    const own = node.lifecycle?.ignoreChanges;
    if (own === "all") continue;
    node.lifecycle = {
      ...node.lifecycle,
      ignoreChanges: [...new Set([...(own ?? []), ...diff.ignore])],
    };
    applied.push(`${node.friendlyUniqueId}: ignore_changes ${diff.ignore.join(", ")}`);
  }
  return applied;
}
