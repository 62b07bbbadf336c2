/**
 * A cluster's placement: where its state and locks live and whose AWS identity manages it.
 *
 * These fields decide what a plan can read and lock, not what the cluster looks like: a PR that
 * points `state.key` at production's state plans against production, and one that changes
 * `state.lockTable` escapes the lock another PR holds on the same state. So a PR never chooses
 * them for itself: for a cluster that exists on the default branch, the default branch's values
 * are used (a change to them takes effect once merged), and the bot says so on the PR.
 */
import type { ClusterConfig } from "../../infra/definition/config";

export interface Placement {
  state: ClusterConfig["state"];
  aws: { roleArn?: string; accountId?: string };
}

export function placementOf(config: ClusterConfig): Placement {
  return {
    state: { ...config.state },
    aws: {
      ...(config.aws.roleArn ? { roleArn: config.aws.roleArn } : {}),
      ...(config.aws.accountId ? { accountId: config.aws.accountId } : {}),
    },
  };
}

/** The config with another placement (the definition's other fields untouched). */
export function withPlacement(config: ClusterConfig, placement: Placement): ClusterConfig {
  const aws = { ...config.aws };
  delete aws.roleArn;
  delete aws.accountId;
  return { ...config, state: { ...placement.state }, aws: { ...aws, ...placement.aws } };
}

const FIELDS = [
  ["state.bucket", (p: Placement) => p.state.bucket],
  ["state.key", (p: Placement) => p.state.key],
  ["state.region", (p: Placement) => p.state.region],
  ["state.lockTable", (p: Placement) => p.state.lockTable],
  ["state.kmsKeyId", (p: Placement) => p.state.kmsKeyId],
  ["aws.roleArn", (p: Placement) => p.aws.roleArn],
  ["aws.accountId", (p: Placement) => p.aws.accountId],
] as const;

/** Each placement field that differs, as `field: reviewed → proposed`. */
export function placementChanges(reviewed: Placement, proposed: Placement): string[] {
  const show = (value: string | undefined) => (value === undefined ? "(unset)" : `\`${value}\``);
  return FIELDS.filter(([, get]) => get(reviewed) !== get(proposed)).map(
    ([field, get]) => `\`${field}\`: ${show(get(reviewed))} → ${show(get(proposed))}`,
  );
}

/** Where a state lives, as locks and plans key it. */
export function stateAddress(placement: Placement): string {
  return `s3://${placement.state.bucket}/${placement.state.key}`;
}
