/**
 * Every AWS SDK command the bot sends itself → its IAM actions, and what runs whatever the
 * stack holds. test/docs/iam-policy.test.ts scans app/ and fails on a command without a row.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { type Grant, grant } from "./statements";

// ---------------------------------------------------------------------------------------------
// What the bot calls itself through the AWS SDK, by `<package>:<command>`

const s3Bucket = (...actions: string[]) => grant("StateBucket", ...actions.map((a) => `s3:${a}`));
const s3Objects = (...actions: string[]) => grant("StateObjects", ...actions.map((a) => `s3:${a}`));
const rds = (...actions: string[]) =>
  grant("Rds", ...["Describe*"].concat(actions).map((a) => `rds:${a}`));
const table = (...actions: string[]) => grant("LockTable", ...actions.map((a) => `dynamodb:${a}`));

export const SDK_COMMANDS: Record<string, Grant[]> = {
  // app/engine/state-backend.ts: the bucket, created once and checked every time.
  "client-s3:HeadBucketCommand": [s3Bucket("ListBucket")],
  "client-s3:CreateBucketCommand": [s3Bucket("CreateBucket", "PutBucketOwnershipControls")],
  "client-s3:PutPublicAccessBlockCommand": [s3Bucket("PutBucketPublicAccessBlock")],
  "client-s3:PutBucketOwnershipControlsCommand": [s3Bucket("PutBucketOwnershipControls")],
  "client-s3:PutBucketVersioningCommand": [s3Bucket("PutBucketVersioning")],
  "client-s3:PutBucketEncryptionCommand": [s3Bucket("PutEncryptionConfiguration")],
  "client-s3:PutBucketPolicyCommand": [s3Bucket("PutBucketPolicy")],
  "client-s3:PutBucketTaggingCommand": [s3Bucket("PutBucketTagging")],
  "client-s3:GetBucketTaggingCommand": [s3Bucket("GetBucketTagging")],
  "client-s3:GetBucketVersioningCommand": [s3Bucket("GetBucketVersioning")],
  "client-s3:GetPublicAccessBlockCommand": [s3Bucket("GetBucketPublicAccessBlock")],
  "client-s3:GetBucketEncryptionCommand": [s3Bucket("GetEncryptionConfiguration")],
  "client-s3:GetBucketPolicyCommand": [s3Bucket("GetBucketPolicy")],
  "client-s3:GetBucketOwnershipControlsCommand": [s3Bucket("GetBucketOwnershipControls")],
  // app/engine/plan-store.ts: saved plans under plans/.
  "client-s3:PutObjectCommand": [s3Objects("PutObject")],
  "client-s3:GetObjectCommand": [s3Objects("GetObject")],
  // app/engine/drift.ts: does the state exist? HeadObject is authorized as s3:GetObject (S3 API
  // Reference, HeadObject: "you must have the s3:GetObject permission").
  "client-s3:HeadObjectCommand": [s3Objects("GetObject")],
  "client-s3:ListObjectsV2Command": [s3Bucket("ListBucket")],
  "client-s3:DeleteObjectsCommand": [s3Objects("DeleteObject")],
  // app/engine/state-backend.ts: the lock table, created once and checked every time.
  "client-dynamodb:DescribeTableCommand": [table("DescribeTable")],
  "client-dynamodb:waitUntilTableExists": [table("DescribeTable")],
  "client-dynamodb:CreateTableCommand": [table("CreateTable", "TagResource")],
  "client-dynamodb:DescribeTimeToLiveCommand": [table("DescribeTimeToLive")],
  "client-dynamodb:UpdateTimeToLiveCommand": [table("UpdateTimeToLive")],
  "client-dynamodb:DescribeContinuousBackupsCommand": [table("DescribeContinuousBackups")],
  "client-dynamodb:UpdateContinuousBackupsCommand": [table("UpdateContinuousBackups")],
  // app/engine/locks.ts: conditional writes of lock items (Put and Delete in transactions).
  "client-dynamodb:GetItemCommand": [table("GetItem")],
  "client-dynamodb:QueryCommand": [table("Query")],
  "client-dynamodb:TransactWriteItemsCommand": [
    table("PutItem", "DeleteItem", "ConditionCheckItem"),
  ],
  // app/engine/plan-digest.ts: a saved plan's digest, on the lock item (conditional update).
  "client-dynamodb:UpdateItemCommand": [table("UpdateItem")],
  // app/engine/aws-environment.ts, state-backend.ts: whose credentials these are.
  // No grant: STS answers GetCallerIdentity whatever the policy says (STS API Reference,
  // GetCallerIdentity: "No permissions are required to perform this operation").
  "client-sts:GetCallerIdentityCommand": [],
  // app/engine/aws-environment.ts: Canonical's current Ubuntu image, read at plan time;
  // app/engine/cluster-status/read.ts: the clusters' self-reported status.
  "client-ssm:GetParameterCommand": [
    grant("AmiParameter", "ssm:GetParameter"),
    grant("ReadClusterStatus", "ssm:GetParameter"),
  ],
  // app/engine/rollout/instance-refresh.ts: the rollout after apply, servers then workers.
  "client-auto-scaling:DescribeAutoScalingGroupsCommand": [
    grant("AutoScaling", "autoscaling:Describe*"),
  ],
  "client-auto-scaling:DescribeInstanceRefreshesCommand": [
    grant("AutoScaling", "autoscaling:Describe*"),
  ],
  "client-auto-scaling:StartInstanceRefreshCommand": [
    grant("AutoScalingGroupsTagged", "autoscaling:StartInstanceRefresh"),
  ],
  "client-ec2:DescribeLaunchTemplatesCommand": [grant("Ec2", "ec2:Describe*")],
  // app/engine/aws-environment.ts: the rollout's clients, in the cluster role's account.
  "client-sts:AssumeRoleCommand": [grant("AssumeClusterRoles", "sts:AssumeRole")],
  // app/engine/datastore-snapshot.ts: a manual snapshot before an apply that changes the
  // datastore, through the cluster's role when it names one.
  // The snapshot is tagged in the request (managed-by), which RDS checks as AddTagsToResource.
  "client-rds:CreateDBSnapshotCommand": [
    rds("CreateDBSnapshot"),
    grant("RdsTagOnCreate", "rds:AddTagsToResource"),
  ],
  "client-rds:DescribeDBSnapshotsCommand": [rds()],
  // app/engine/kubeconfig.ts: `k3s-bot kubeconfig`, run by an operator with their own
  // credentials (app/cli/main.ts); the bot never reads a cluster's admin kubeconfig.
  "client-secrets-manager:GetSecretValueCommand": [],
};

/** Folders whose SDK calls never reach real AWS (the local emulator's workarounds). */
const SDK_SCAN_EXCLUDED = ["app/local/"];

/** Every `<package>:<command>` the bot's code under app/ imports from an @aws-sdk client. */
export function sdkCommandsUsed(root: string): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      const rel = relative(root, path).split("\\").join("/");
      if (statSync(path).isDirectory()) {
        if (!SDK_SCAN_EXCLUDED.some((prefix) => `${rel}/`.startsWith(prefix))) visit(path);
        continue;
      }
      if (!rel.endsWith(".ts")) continue;
      const source = readFileSync(path, "utf8");
      for (const match of source.matchAll(
        /import\s*(type\s*)?\{([^}]*)\}\s*from\s*"@aws-sdk\/(client-[a-z0-9-]+)"/g,
      )) {
        if (match[1]) continue;
        for (const raw of (match[2] ?? "").split(",")) {
          const name = raw.trim();
          if (name.startsWith("type ") || !/(Command|^waitUntil\w+)$/.test(name)) continue;
          const key = `${match[3]}:${name}`;
          used.set(key, [...(used.get(key) ?? []), rel]);
        }
      }
    }
  };
  visit(join(root, "app"));
  return used;
}

// ---------------------------------------------------------------------------------------------
// Always, whatever the stack holds

export const ALWAYS: Grant[] = [
  // The provider calls GetCallerIdentity at start (account id, allowed_account_ids): no grant
  // needed, see SDK_COMMANDS.
  grant("AssumeClusterRoles", "sts:AssumeRole"),
  // Whenever IAM is in play at all: the boundary is never removed or changed.
  grant("KeepBoundaries"),
  // Terraform's S3 backend with use_lockfile (Terraform docs, "S3 Bucket Permissions").
  s3Bucket("ListBucket"),
  s3Objects("GetObject", "PutObject", "DeleteObject"),
];

/** Only when a definition names a KMS key for state (`state.kmsKeyId`). */
export const STATE_KMS: Grant[] = [
  grant("StateKmsKey", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
];
