/**
 * Where Terraform keeps a cluster's state (docs/architecture.md, "infra/").
 *
 * The bucket and the bot's lock table are created by the bot through the AWS SDK before the
 * first `terraform init`, not by this stack: a stack cannot hold the state it is stored in.
 * Here we only point Terraform at them.
 */

import { LocalBackend, S3Backend, type TerraformBackend } from "cdktf";
import type { Construct } from "constructs";
import type { ClusterConfig } from "./definition/config";

export type BackendOption =
  /** S3, from `config.state`. `overrides` (Terraform argument names) are for emulators only. */
  | { kind: "s3"; overrides?: Record<string, unknown> }
  /** A local state file: tests and demos that run without a bucket. */
  | { kind: "local"; path: string };

export function configureStateBackend(
  stack: Construct,
  config: ClusterConfig,
  option: BackendOption = { kind: "s3" },
): TerraformBackend {
  if (option.kind === "local") {
    return new LocalBackend(stack, { path: option.path });
  }
  const { state } = config;
  const backend = new S3Backend(stack, {
    bucket: state.bucket,
    key: state.key,
    region: state.region,
    encrypt: true,
    ...(state.kmsKeyId ? { kmsKeyId: state.kmsKeyId } : {}),
    ...(config.aws.roleArn
      ? { assumeRole: { roleArn: config.aws.roleArn, sessionName: `k3s-bot-${config.name}` } }
      : {}),
  });
  // S3-native state locking (Terraform ≥ 1.10): the conditional write of a lock object
  // replaces the DynamoDB lock table, which Terraform 1.11 deprecates for state. cdktf 0.21's
  // S3BackendConfig predates the argument, hence the override.
  backend.addOverride("use_lockfile", true);
  for (const [key, value] of Object.entries(option.overrides ?? {})) {
    backend.addOverride(key, value);
  }
  return backend;
}
