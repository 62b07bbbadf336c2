/**
 * The S3 state bucket: created versioned, encrypted, private and TLS-only, tagged while it is
 * being configured so that another replica waits instead of calling it unsafe; an existing
 * bucket is checked, never changed.
 */
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  type CreateBucketCommandInput,
  GetBucketEncryptionCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
  type ServerSideEncryptionConfiguration,
} from "@aws-sdk/client-s3";
import { errorMessage, errorName, headerOf, httpStatus, readOrUndefined } from "./aws-errors";
import {
  MANAGED_BY_TAG,
  StateBackendError,
  type StateBackendReport,
  type StateBackendSpec,
} from "./types";

export async function ensureBucket(
  spec: StateBackendSpec,
  accountId: string,
  s3: S3Client,
  warnings: string[],
): Promise<StateBackendReport["bucket"]> {
  const encryption = spec.kmsKeyId === undefined ? "SSE-S3" : "SSE-KMS";
  const state = await bucketState(spec, accountId, s3);
  let lostRace = false;
  if (state === "missing") {
    const created = await createBucket(spec, accountId, s3);
    if (created) return { name: spec.bucket, action: "created", encryption };
    // Another bot replica created it between our HEAD and CREATE.
    lostRace = true;
  }
  // Another replica may still be configuring a bucket it just created (public access,
  // versioning and encryption come one call after another): give it time before calling the
  // bucket unsafe. A bucket of ours under construction carries CONFIGURING_TAG; right after
  // CreateBucket it has no tags at all yet.
  for (let check = 1; ; check += 1) {
    try {
      const found = await checkExistingBucket(spec, accountId, s3, warnings);
      return { name: spec.bucket, action: "found", encryption: found };
    } catch (error) {
      if (!(error instanceof StateBackendError)) throw error;
      const construction = await constructionState(s3, spec.bucket, accountId);
      const patience =
        construction === "configuring"
          ? CONFIGURING_CHECKS
          : lostRace || construction === "untagged"
            ? JUST_CREATED_CHECKS
            : 1;
      if (check >= patience) {
        if (construction !== "configuring") throw error;
        throw new StateBackendError(error.resource, [
          ...error.problems,
          `it is tagged ${CONFIGURING_TAG.Key}=${CONFIGURING_TAG.Value}: the k3s-bot run that created it stopped before finishing; delete the empty bucket and run again`,
        ]);
      }
      await new Promise((resolve) => setTimeout(resolve, RACE_CHECK_INTERVAL_MS));
    }
  }
}

/** While a replica configures the bucket it created; replaced by MANAGED_BY_TAG at the end. */
const CONFIGURING_TAG = { Key: "k3s-bot/state-backend", Value: "configuring" };
/** Checks, a second apart, of a bucket another replica is configuring / has just created. */
const CONFIGURING_CHECKS = 30;
const JUST_CREATED_CHECKS = 5;
const RACE_CHECK_INTERVAL_MS = 1_000;

async function constructionState(
  s3: S3Client,
  bucket: string,
  accountId: string,
): Promise<"configuring" | "untagged" | "tagged"> {
  const tagging = await readOrUndefined(
    () => s3.send(new GetBucketTaggingCommand({ Bucket: bucket, ExpectedBucketOwner: accountId })),
    "NoSuchTagSet",
  ).catch(() => undefined);
  const tags = tagging?.TagSet ?? [];
  if (tags.some((t) => t.Key === CONFIGURING_TAG.Key && t.Value === CONFIGURING_TAG.Value))
    return "configuring";
  return tags.length === 0 ? "untagged" : "tagged";
}

async function bucketState(
  spec: StateBackendSpec,
  accountId: string,
  s3: S3Client,
): Promise<"ours" | "missing"> {
  try {
    // ExpectedBucketOwner turns "exists, but in another account" into a 403 instead of letting
    // us read (or write) someone else's bucket.
    await s3.send(new HeadBucketCommand({ Bucket: spec.bucket, ExpectedBucketOwner: accountId }));
    return "ours";
  } catch (error) {
    const status = httpStatus(error);
    if (status === 404) return "missing";
    if (status === 403) throw foreignBucket(spec.bucket, accountId);
    if (status === 301) {
      const region = headerOf(error, "x-amz-bucket-region") ?? "another region";
      throw new StateBackendError(`S3 bucket ${spec.bucket}`, [
        `it exists in ${region}, but the state backend is configured for ${spec.region}; set state.region to ${region}, or choose another bucket name`,
      ]);
    }
    throw error;
  }
}

function foreignBucket(bucket: string, accountId: string): StateBackendError {
  return new StateBackendError(`S3 bucket ${bucket}`, [
    `it exists but is not owned by account ${accountId} (or these credentials may not read it). S3 bucket names are global: choose another name in state.bucket of the cluster definition, e.g. "${bucket}-${accountId}"`,
  ]);
}

/** Creates and configures the bucket; false when it turned out to exist already (ours). */
async function createBucket(
  spec: StateBackendSpec,
  accountId: string,
  s3: S3Client,
): Promise<boolean> {
  const input: CreateBucketCommandInput = {
    Bucket: spec.bucket,
    ObjectOwnership: "BucketOwnerEnforced",
    // us-east-1 is the one region that rejects its own name as a location constraint.
    ...(spec.region === "us-east-1"
      ? {}
      : {
          CreateBucketConfiguration: {
            LocationConstraint: spec.region as BucketLocationConstraint,
          },
        }),
  };
  try {
    await s3.send(new CreateBucketCommand(input));
  } catch (error) {
    const name = errorName(error);
    if (name === "BucketAlreadyOwnedByYou") return false;
    if (name === "BucketAlreadyExists") throw foreignBucket(spec.bucket, accountId);
    throw error;
  }

  const owner = { Bucket: spec.bucket, ExpectedBucketOwner: accountId };
  // Marked first, so a replica that lost the race to create it waits instead of refusing it;
  // then public access is blocked, so the bucket is never open while it is being configured.
  const steps: [string, () => Promise<unknown>][] = [
    [
      "mark it as being configured",
      () =>
        s3.send(
          new PutBucketTaggingCommand({
            ...owner,
            Tagging: { TagSet: [MANAGED_BY_TAG, CONFIGURING_TAG] },
          }),
        ),
    ],
    [
      "block public access",
      () =>
        s3.send(
          new PutPublicAccessBlockCommand({
            ...owner,
            PublicAccessBlockConfiguration: {
              BlockPublicAcls: true,
              IgnorePublicAcls: true,
              BlockPublicPolicy: true,
              RestrictPublicBuckets: true,
            },
          }),
        ),
    ],
    [
      "enforce bucket-owner object ownership",
      () =>
        s3.send(
          new PutBucketOwnershipControlsCommand({
            ...owner,
            OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
          }),
        ),
    ],
    [
      "enable versioning",
      () =>
        s3.send(
          new PutBucketVersioningCommand({
            ...owner,
            VersioningConfiguration: { Status: "Enabled" },
          }),
        ),
    ],
    [
      "set default encryption",
      () =>
        s3.send(
          new PutBucketEncryptionCommand({
            ...owner,
            ServerSideEncryptionConfiguration: encryptionConfiguration(spec.kmsKeyId),
          }),
        ),
    ],
    [
      "deny requests without TLS",
      () => s3.send(new PutBucketPolicyCommand({ ...owner, Policy: tlsOnlyPolicy(spec.bucket) })),
    ],
    [
      "tag it",
      () =>
        s3.send(new PutBucketTaggingCommand({ ...owner, Tagging: { TagSet: [MANAGED_BY_TAG] } })),
    ],
  ];
  for (const [step, run] of steps) {
    try {
      await run();
    } catch (error) {
      // A half-configured bucket is then refused by the next run's checks (we do not repair
      // existing buckets), so say exactly where it stopped.
      throw new StateBackendError(`S3 bucket ${spec.bucket}`, [
        `created it, but could not ${step}: ${errorMessage(error)}. Fix the cause, then either delete the empty bucket (aws s3api delete-bucket --bucket ${spec.bucket}) and run again, or finish its configuration by hand`,
      ]);
    }
  }
  return true;
}

async function checkExistingBucket(
  spec: StateBackendSpec,
  accountId: string,
  s3: S3Client,
  warnings: string[],
): Promise<"SSE-S3" | "SSE-KMS"> {
  const owner = { Bucket: spec.bucket, ExpectedBucketOwner: accountId };
  const problems: string[] = [];

  const versioning = await s3.send(new GetBucketVersioningCommand(owner));
  if (versioning.Status !== "Enabled") {
    problems.push(
      `versioning is ${versioning.Status === "Suspended" ? "suspended" : "not enabled"}, so an overwritten or deleted state could not be recovered; fix: aws s3api put-bucket-versioning --bucket ${spec.bucket} --versioning-configuration Status=Enabled`,
    );
  }

  const publicAccess = await readOrUndefined(
    () => s3.send(new GetPublicAccessBlockCommand(owner)),
    "NoSuchPublicAccessBlockConfiguration",
  );
  const block = publicAccess?.PublicAccessBlockConfiguration;
  const open = (
    ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"] as const
  ).filter((setting) => block?.[setting] !== true);
  if (open.length > 0) {
    problems.push(
      `public access is not fully blocked (${open.join(", ")} off), and Terraform state holds secrets; fix: aws s3api put-public-access-block --bucket ${spec.bucket} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`,
    );
  }

  const encryption = await readOrUndefined(
    () => s3.send(new GetBucketEncryptionCommand(owner)),
    "ServerSideEncryptionConfigurationNotFoundError",
  );
  const algorithm =
    encryption?.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault
      ?.SSEAlgorithm;
  if (algorithm === undefined) {
    problems.push(
      `it has no default encryption; fix: aws s3api put-bucket-encryption --bucket ${spec.bucket} --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'`,
    );
  } else if (spec.kmsKeyId !== undefined && !algorithm.startsWith("aws:kms")) {
    warnings.push(
      `S3 bucket ${spec.bucket} encrypts with ${algorithm}, not with the KMS key ${spec.kmsKeyId} asked for; left as it is`,
    );
  }

  if (problems.length > 0) {
    throw new StateBackendError(
      `S3 bucket ${spec.bucket} exists but is not safe for Terraform state (k3s-bot does not change existing buckets; fix it, or choose another name in state.bucket)`,
      problems,
    );
  }

  // Hardening we would have applied, but whose absence does not endanger the state.
  const policy = await readOrUndefined(
    () => s3.send(new GetBucketPolicyCommand(owner)),
    "NoSuchBucketPolicy",
  );
  if (!deniesInsecureTransport(policy?.Policy)) {
    warnings.push(
      `S3 bucket ${spec.bucket} has no policy denying requests without TLS (aws:SecureTransport = false); left as it is`,
    );
  }
  const ownership = await readOrUndefined(
    () => s3.send(new GetBucketOwnershipControlsCommand(owner)),
    "OwnershipControlsNotFoundError",
  );
  if (ownership?.OwnershipControls?.Rules?.[0]?.ObjectOwnership !== "BucketOwnerEnforced") {
    warnings.push(
      `S3 bucket ${spec.bucket} does not enforce bucket-owner object ownership (ACLs still apply); left as it is`,
    );
  }
  return algorithm?.startsWith("aws:kms") ? "SSE-KMS" : "SSE-S3";
}

function encryptionConfiguration(kmsKeyId: string | undefined): ServerSideEncryptionConfiguration {
  if (kmsKeyId === undefined) {
    return { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] };
  }
  return {
    Rules: [
      {
        ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: kmsKeyId },
        // One data key per bucket instead of a KMS call per object: cheaper, same protection.
        BucketKeyEnabled: true,
      },
    ],
  };
}

function tlsOnlyPolicy(bucket: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}

function deniesInsecureTransport(policy: string | undefined): boolean {
  if (policy === undefined) return false;
  try {
    const document = JSON.parse(policy) as { Statement?: unknown };
    const statements = Array.isArray(document.Statement)
      ? document.Statement
      : [document.Statement];
    return statements.some((statement) => {
      const s = statement as {
        Effect?: string;
        Condition?: Record<string, Record<string, unknown>>;
      };
      const secure = s.Condition?.Bool?.["aws:SecureTransport"];
      return s.Effect === "Deny" && String(secure) === "false";
    });
  } catch {
    return false;
  }
}
