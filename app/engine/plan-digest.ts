/**
 * The saved plan's fingerprint, kept where only the bot writes.
 *
 * A saved plan lives in S3 (plan-store.ts) beside the state, where more principals than the bot
 * may be able to write (an operator's admin role, a CI role given `s3:PutObject` on the bucket,
 * whoever can assume a role the bucket policy trusts). A plan file swapped there would be applied
 * as if it were the reviewed one: `terraform apply <plan>` applies whatever the file says. So
 * when a plan is saved, the SHA-256 of every file apply will use goes on the cluster's lock item
 * in DynamoDB, as the attribute `planDigest#<commit>`, written only while this PR holds the lock
 * (a conditional update); before apply, the restored files are hashed again and must match it.
 * The lock item is deleted with the lock (merge, close, unlock), so the digests go with the plans.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { type ClusterRef, type LockHolder, lockKey } from "./locks";
import { PLAN_FILES } from "./plan-store";

const attribute = (headSha: string) => `planDigest#${headSha}`;

/** SHA-256 over each file apply reads (plan, configuration, provider lock file), by name. */
export function planDigest(workDir: string): string {
  const hash = createHash("sha256");
  for (const file of [PLAN_FILES.plan, PLAN_FILES.config, PLAN_FILES.lock]) {
    const fileHash = createHash("sha256")
      .update(readFileSync(join(workDir, file)))
      .digest("hex");
    hash.update(`${file} ${fileHash}\n`);
  }
  return hash.digest("hex");
}

export class PlanDigests {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  /** Records a plan's digest on the lock item; fails if this PR no longer holds the lock. */
  async record(
    ref: ClusterRef,
    holder: LockHolder,
    headSha: string,
    digest: string,
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: lockKey(ref) }, sk: { S: "lock" } },
          UpdateExpression: "SET #digest = :digest",
          ConditionExpression: "repo = :repo AND pullRequest = :pr",
          ExpressionAttributeNames: { "#digest": attribute(headSha) },
          ExpressionAttributeValues: {
            ":digest": { S: digest },
            ":repo": { S: holder.repo },
            ":pr": { N: String(holder.pullRequest) },
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new Error(
          `the lock on ${ref.cluster} was released while this plan was being saved; plan again`,
        );
      throw error;
    }
  }

  /** The digest recorded for a commit's plan, or null. */
  async expected(ref: ClusterRef, headSha: string): Promise<string | null> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: { pk: { S: lockKey(ref) }, sk: { S: "lock" } },
        ConsistentRead: true,
      }),
    );
    return out.Item?.[attribute(headSha)]?.S ?? null;
  }
}

/** Why a restored plan must not be applied, or null when it is the plan that was reviewed. */
export function digestMismatch(
  cluster: string,
  bucket: string,
  prefix: string,
  expected: string | null,
  actual: string,
): string | null {
  if (expected === actual) return null;
  const where = `s3://${bucket}/${prefix}`;
  return expected === null
    ? `the saved plan of ${cluster} at ${where} has no digest recorded by k3s-bot when it was planned, so it cannot be shown to be the reviewed plan. Nothing was applied. Comment \`/k3s plan ${cluster}\`, review the new plan, then apply.`
    : `the saved plan of ${cluster} at ${where} is not the plan k3s-bot made: its SHA-256 (${actual.slice(0, 16)}…) differs from the one recorded in the lock table when it was planned (${expected.slice(0, 16)}…). Someone or something with write access to the state bucket changed it. Nothing was applied. Find out who can write to that bucket, then comment \`/k3s plan ${cluster}\` and review the new plan before applying.`;
}
