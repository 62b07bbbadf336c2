/**
 * Which repository owns a cluster's state: recorded next to the state itself, so every
 * repository that names the same bucket and key (whatever lock table or definition it uses)
 * finds the same record.
 *
 * The first repository to plan a state claims it, in the object `<state key>.k3s-bot-owner`
 * (JSON: repo, pull request, time), written only if absent (`If-None-Match: *`, S3's
 * conditional write). Any other repository is refused before it takes a lock or runs
 * Terraform. Handing a cluster to another repository is the operator's act: delete the object
 * (and rebind, repository-bindings.ts).
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { ClusterConfig } from "../../infra/definition/config";

export const ownerKey = (stateKey: string) => `${stateKey}.k3s-bot-owner`;

interface OwnerRecord {
  repo: string;
  pullRequest: number;
  claimedAt: string;
}

async function readOwner(s3: S3Client, bucket: string, key: string): Promise<OwnerRecord | null> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse((await out.Body?.transformToString()) ?? "null") as OwnerRecord | null;
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchKey") return null;
    throw error;
  }
}

/**
 * Claims the state for `repo` if nobody owns it; returns why `repo` may not use it, or null.
 * Repository names compare case-insensitively, as GitHub's do.
 */
export async function claimState(
  s3: S3Client,
  config: ClusterConfig,
  repo: string,
  pullRequest: number,
  kmsKeyId?: string,
): Promise<string | null> {
  const { bucket } = config.state;
  const key = ownerKey(config.state.key);
  let owner = await readOwner(s3, bucket, key);
  if (!owner) {
    const record: OwnerRecord = { repo, pullRequest, claimedAt: new Date().toISOString() };
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: `${JSON.stringify(record)}\n`,
          IfNoneMatch: "*",
          ContentType: "application/json",
          ...(kmsKeyId
            ? { ServerSideEncryption: "aws:kms", SSEKMSKeyId: kmsKeyId }
            : { ServerSideEncryption: "AES256" }),
        }),
      );
      return null;
    } catch (error) {
      // Another repository (or replica) claimed it between our read and our write.
      if ((error as { name?: string }).name !== "PreconditionFailed") throw error;
      owner = await readOwner(s3, bucket, key);
    }
  }
  return refusal(owner, config, repo);
}

/**
 * Why `repo` may not use the state, judged from its owner record without claiming it (apply: the
 * plan claimed it); null when it owns it, nobody does, or the bucket does not exist yet.
 */
export async function stateRefusal(
  s3: S3Client,
  config: ClusterConfig,
  repo: string,
): Promise<string | null> {
  try {
    return refusal(
      await readOwner(s3, config.state.bucket, ownerKey(config.state.key)),
      config,
      repo,
    );
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchBucket") return null;
    throw error;
  }
}

function refusal(owner: OwnerRecord | null, config: ClusterConfig, repo: string): string | null {
  const { bucket } = config.state;
  const key = ownerKey(config.state.key);
  if (!owner || owner.repo.toLowerCase() === repo.toLowerCase()) return null;
  return `the state s3://${bucket}/${config.state.key} belongs to ${owner.repo} (claimed by its PR #${owner.pullRequest} at ${owner.claimedAt}), not to ${repo}. One repository manages a cluster; if this one should take it over, the bot's operator deletes s3://${bucket}/${key} and binds the state to this repository.`;
}
