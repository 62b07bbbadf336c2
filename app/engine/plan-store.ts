/**
 * Saved plans in S3, so `apply` runs exactly what was reviewed, on any bot replica, after any
 * restart (Atlantis #1155: plans on local disk pin a PR to one server).
 *
 * One plan per (repo, PR, cluster, head commit):
 *   plans/<owner>/<repo>/pr-<n>/<cluster>/<sha>/plan.tfplan        the saved plan
 *   …/cdk.tf.json, …/terraform.lock.hcl                             what `init` needs to apply it
 *   …/metadata.json                                                 written last: its presence
 *                                                                   means the plan is complete
 * Objects are encrypted (SSE-KMS when a key is configured, else SSE-S3). Plans are kept until
 * the PR is closed (Atlantis #2483: "no plan found" after a failed apply).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { CLUSTER_NAME_PATTERN } from "../../infra/definition/schema";

export interface PlanKey {
  /** owner/name */
  repo: string;
  pullRequest: number;
  cluster: string;
  headSha: string;
}

export interface PlanMetadata extends PlanKey {
  /** sha256 of the definition file the plan was made from. */
  definitionHash: string;
  createdAt: string;
  createdBy: string;
  accountId?: string;
  add: number;
  change: number;
  destroy: number;
  hasChanges: boolean;
  /** Set once the plan has been applied: a plan is applied at most once. */
  appliedAt?: string;
  appliedBy?: string;
}

/** Files of a Terraform working directory that a saved plan needs to be applied elsewhere. */
export const PLAN_FILES = {
  plan: "k3s.tfplan",
  config: "cdk.tf.json",
  lock: ".terraform.lock.hcl",
} as const;

const REPO_PATTERN = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const SHA_PATTERN = /^[0-9a-f]{40}$/;

export function pullRequestPrefix(repo: string, pullRequest: number): string {
  if (!REPO_PATTERN.test(repo) || repo.split("/").includes(".."))
    throw new Error(`not a repository name: ${repo}`);
  if (!Number.isInteger(pullRequest) || pullRequest < 1)
    throw new Error(`not a pull request number: ${pullRequest}`);
  return `plans/${repo}/pr-${pullRequest}/`;
}

export function planPrefix(key: PlanKey): string {
  if (!CLUSTER_NAME_PATTERN.test(key.cluster))
    throw new Error(`not a cluster name: ${key.cluster}`);
  if (!SHA_PATTERN.test(key.headSha)) throw new Error(`not a commit SHA: ${key.headSha}`);
  return `${pullRequestPrefix(key.repo, key.pullRequest)}${key.cluster}/${key.headSha}/`;
}

export class PlanStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly kmsKeyId?: string,
  ) {}

  private encryption() {
    return this.kmsKeyId
      ? { ServerSideEncryption: "aws:kms" as const, SSEKMSKeyId: this.kmsKeyId }
      : { ServerSideEncryption: "AES256" as const };
  }

  private async put(key: string, body: Buffer | string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ...this.encryption() }),
    );
  }

  private async get(key: string): Promise<Buffer | null> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return Buffer.from(await (out.Body?.transformToByteArray() ?? new Uint8Array()));
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === "NoSuchKey")
        return null;
      throw error;
    }
  }

  /** Uploads the plan from `workDir`; the metadata goes last, marking the plan complete. */
  async save(workDir: string, metadata: PlanMetadata): Promise<void> {
    const prefix = planPrefix(metadata);
    for (const file of [PLAN_FILES.plan, PLAN_FILES.config, PLAN_FILES.lock]) {
      await this.put(`${prefix}${file}`, readFileSync(join(workDir, file)));
    }
    await this.put(`${prefix}metadata.json`, `${JSON.stringify(metadata, null, 2)}\n`);
  }

  /** Records that the plan was applied, so a repeated `/k3s apply` does not apply it again. */
  async markApplied(metadata: PlanMetadata): Promise<void> {
    await this.put(
      `${planPrefix(metadata)}metadata.json`,
      `${JSON.stringify(metadata, null, 2)}\n`,
    );
  }

  async metadata(key: PlanKey): Promise<PlanMetadata | null> {
    const body = await this.get(`${planPrefix(key)}metadata.json`);
    return body ? (JSON.parse(body.toString("utf8")) as PlanMetadata) : null;
  }

  /** Downloads a complete plan into `workDir`; null when there is none for that commit. */
  async restore(key: PlanKey, workDir: string): Promise<PlanMetadata | null> {
    const metadata = await this.metadata(key);
    if (!metadata) return null;
    const prefix = planPrefix(key);
    for (const file of [PLAN_FILES.plan, PLAN_FILES.config, PLAN_FILES.lock]) {
      const body = await this.get(`${prefix}${file}`);
      if (!body) return null;
      writeFileSync(join(workDir, file), body);
    }
    return metadata;
  }

  private async keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const object of out.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  /** Commits a PR has complete plans for, for a cluster (to tell "stale plan" from "no plan"). */
  async plannedCommits(repo: string, pullRequest: number, cluster: string): Promise<string[]> {
    const prefix = `${pullRequestPrefix(repo, pullRequest)}${cluster}/`;
    return (await this.keysUnder(prefix))
      .filter((key) => key.endsWith("/metadata.json"))
      .map((key) => key.slice(prefix.length).split("/")[0] ?? "");
  }

  /** Deletes every plan of a PR (on close or merge, after the merge apply). */
  deleteForPullRequest(repo: string, pullRequest: number): Promise<number> {
    return this.deleteUnder(pullRequestPrefix(repo, pullRequest));
  }

  /** Deletes a PR's plans for one cluster (on unlock: a new plan is needed to apply). */
  deleteForCluster(repo: string, pullRequest: number, cluster: string): Promise<number> {
    if (!CLUSTER_NAME_PATTERN.test(cluster)) throw new Error(`not a cluster name: ${cluster}`);
    return this.deleteUnder(`${pullRequestPrefix(repo, pullRequest)}${cluster}/`);
  }

  private async deleteUnder(prefix: string): Promise<number> {
    let keys: string[];
    try {
      keys = await this.keysUnder(prefix);
    } catch (error) {
      // The bucket is created by the first plan: before it exists there is nothing to delete.
      if ((error as { name?: string }).name === "NoSuchBucket") return 0;
      throw error;
    }
    for (let i = 0; i < keys.length; i += 1000) {
      await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
        }),
      );
    }
    return keys.length;
  }
}
