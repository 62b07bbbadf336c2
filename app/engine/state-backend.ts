// Creates, once, what `terraform init` needs before it can run: the S3 state bucket, and the
// DynamoDB table that holds the bot's own locks and delivery records (Terraform itself locks
// with use_lockfile in S3). Existing resources are checked, never silently changed: a bucket
// is someone's state, and "fixing" it behind their back could hide a real problem.

import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
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
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";

export interface StateBackendSpec {
  bucket: string;
  lockTable: string;
  /** Where bucket and table live; the S3 and DynamoDB clients must be configured for it. */
  region: string;
  /** Refuse to touch anything unless the credentials belong to this account. */
  expectedAccountId?: string;
  /** A KMS key (id, ARN or alias ARN) for SSE-KMS on bucket and table; default SSE-S3. */
  kmsKeyId?: string;
}

export interface StateBackendClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  sts: STSClient;
}

export interface StateBackendReport {
  accountId: string;
  region: string;
  bucket: { name: string; action: "created" | "found"; encryption: "SSE-S3" | "SSE-KMS" };
  lockTable: {
    name: string;
    /** "updated": found with the right keys, and its expiresAt TTL had to be switched on. */
    action: "created" | "found" | "updated";
    pointInTimeRecovery: boolean;
  };
  /** Weaker than what we would create, but safe: reported, left as they are. */
  warnings: string[];
}

/** The backend cannot be used as it is; `problems` says what is wrong and how to fix each. */
export class StateBackendError extends Error {
  override name = "StateBackendError";
  constructor(
    readonly resource: string,
    readonly problems: string[],
  ) {
    super(`${resource}:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
}

/** The lock table's item key; the bot's locks and delivery records are written under it. */
export const LOCK_TABLE_KEY = { partition: "pk", sort: "sk" } as const;
/** Epoch seconds after which DynamoDB deletes an item (expired delivery records, stale locks). */
export const LOCK_TABLE_TTL_ATTRIBUTE = "expiresAt";

/** Key schema of the lock table (and of a table holding only delivery records), on demand. */
export const LOCK_TABLE_SCHEMA = {
  BillingMode: "PAY_PER_REQUEST",
  KeySchema: [
    { AttributeName: LOCK_TABLE_KEY.partition, KeyType: "HASH" },
    { AttributeName: LOCK_TABLE_KEY.sort, KeyType: "RANGE" },
  ],
  AttributeDefinitions: [
    { AttributeName: LOCK_TABLE_KEY.partition, AttributeType: "S" },
    { AttributeName: LOCK_TABLE_KEY.sort, AttributeType: "S" },
  ],
} as const satisfies Omit<CreateTableCommandInput, "TableName">;

const MANAGED_BY_TAG = { Key: "managed-by", Value: "k3s-bot" };

export async function ensureStateBackend(
  spec: StateBackendSpec,
  clients: StateBackendClients,
): Promise<StateBackendReport> {
  await assertClientsInRegion(spec.region, clients);
  const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
  const accountId = identity.Account ?? "";
  if (spec.expectedAccountId !== undefined && spec.expectedAccountId !== accountId) {
    throw new StateBackendError(`AWS account ${accountId}`, [
      `the credentials in use belong to account ${accountId}, but the state backend is expected in account ${spec.expectedAccountId}; use credentials (or a role) of account ${spec.expectedAccountId}`,
    ]);
  }
  const warnings: string[] = [];
  const bucket = await ensureBucket(spec, accountId, clients.s3, warnings);
  const lockTable = await ensureLockTable(spec, clients.dynamodb, warnings);
  return { accountId, region: spec.region, bucket, lockTable, warnings };
}

// ---------------------------------------------------------------------------------------------
// The state bucket

async function ensureBucket(
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

// ---------------------------------------------------------------------------------------------
// The lock table

async function ensureLockTable(
  spec: StateBackendSpec,
  dynamodb: DynamoDBClient,
  warnings: string[],
): Promise<StateBackendReport["lockTable"]> {
  const TableName = spec.lockTable;
  let table = await describeTable(dynamodb, TableName);
  let action: StateBackendReport["lockTable"]["action"] = "found";
  if (table === undefined) {
    const created = await createLockTable(spec, dynamodb);
    action = created ? "created" : "found";
    table = await describeTable(dynamodb, TableName);
  }
  if (table === undefined) throw new Error(`DynamoDB table ${TableName} vanished after creation`);

  assertLockTableShape(table);
  if (table.TableStatus === "CREATING") {
    await waitUntilTableExists({ client: dynamodb, maxWaitTime: 120 }, { TableName });
  }
  if (action === "found" && table.BillingModeSummary?.BillingMode !== "PAY_PER_REQUEST") {
    warnings.push(
      `DynamoDB table ${TableName} uses provisioned capacity, not on-demand; left as it is`,
    );
  }

  // TTL is part of the table's contract (records expire), not a preference: switch it on if a
  // previous run stopped before doing so. It only deletes items carrying expiresAt, which only
  // the bot writes.
  const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName }));
  const ttlStatus = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  const ttlAttribute = ttl.TimeToLiveDescription?.AttributeName;
  if (ttlStatus === "ENABLED" || ttlStatus === "ENABLING") {
    if (ttlAttribute !== LOCK_TABLE_TTL_ATTRIBUTE) {
      throw new StateBackendError(`DynamoDB table ${TableName}`, [
        `its time to live is on attribute "${ttlAttribute}", but k3s-bot expires items by "${LOCK_TABLE_TTL_ATTRIBUTE}"; it looks like another application's table: choose another name in state.lockTable`,
      ]);
    }
  } else {
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName,
        TimeToLiveSpecification: { AttributeName: LOCK_TABLE_TTL_ATTRIBUTE, Enabled: true },
      }),
    );
    if (action === "found") action = "updated";
  }

  let pointInTimeRecovery = await pointInTimeRecoveryEnabled(dynamodb, TableName);
  if (!pointInTimeRecovery && action === "created") {
    await dynamodb.send(
      new UpdateContinuousBackupsCommand({
        TableName,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    );
    pointInTimeRecovery = true;
  } else if (!pointInTimeRecovery) {
    warnings.push(
      `DynamoDB table ${TableName} has point-in-time recovery off; left as it is (aws dynamodb update-continuous-backups --table-name ${TableName} --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true)`,
    );
  }
  return { name: TableName, action, pointInTimeRecovery };
}

async function describeTable(
  dynamodb: DynamoDBClient,
  TableName: string,
): Promise<TableDescription | undefined> {
  const found = await readOrUndefined(
    () => dynamodb.send(new DescribeTableCommand({ TableName })),
    "ResourceNotFoundException",
  );
  return found?.Table;
}

/** Creates the table; false when another replica created it first. */
async function createLockTable(spec: StateBackendSpec, dynamodb: DynamoDBClient): Promise<boolean> {
  const input: CreateTableCommandInput = {
    TableName: spec.lockTable,
    ...LOCK_TABLE_SCHEMA,
    Tags: [MANAGED_BY_TAG],
    ...(spec.kmsKeyId === undefined
      ? {}
      : { SSESpecification: { Enabled: true, SSEType: "KMS", KMSMasterKeyId: spec.kmsKeyId } }),
  };
  try {
    await dynamodb.send(new CreateTableCommand(input));
  } catch (error) {
    if (errorName(error) === "ResourceInUseException") return false;
    throw error;
  }
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 120 }, { TableName: spec.lockTable });
  return true;
}

function assertLockTableShape(table: TableDescription): void {
  const types = new Map(
    (table.AttributeDefinitions ?? []).map((d) => [d.AttributeName, d.AttributeType]),
  );
  const keys = (table.KeySchema ?? []).map(
    (k) => `${k.AttributeName} (${types.get(k.AttributeName) ?? "?"}, ${k.KeyType})`,
  );
  const wanted = [`${LOCK_TABLE_KEY.partition} (S, HASH)`, `${LOCK_TABLE_KEY.sort} (S, RANGE)`];
  const problems: string[] = [];
  if (keys.join(" + ") !== wanted.join(" + ")) {
    problems.push(
      `its key is ${keys.join(" + ") || "unknown"}, but k3s-bot needs ${wanted.join(" + ")}. A table's key cannot be changed: choose another name in state.lockTable (k3s-bot will create it), or delete this table if nothing else uses it`,
    );
  }
  if (table.TableStatus === "DELETING" || table.TableStatus === "ARCHIVED") {
    problems.push(`it is ${table.TableStatus.toLowerCase()}; wait, then run again`);
  }
  if (problems.length > 0) {
    throw new StateBackendError(
      `DynamoDB table ${table.TableName} exists but cannot hold k3s-bot's locks`,
      problems,
    );
  }
}

async function pointInTimeRecoveryEnabled(
  dynamodb: DynamoDBClient,
  TableName: string,
): Promise<boolean> {
  const backups = await dynamodb.send(new DescribeContinuousBackupsCommand({ TableName }));
  const status =
    backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus;
  return status === "ENABLED";
}

// ---------------------------------------------------------------------------------------------
// Small helpers

async function assertClientsInRegion(region: string, clients: StateBackendClients): Promise<void> {
  for (const [name, client] of [
    ["s3", clients.s3],
    ["dynamodb", clients.dynamodb],
  ] as const) {
    const configured = await client.config.region();
    if (configured !== region) {
      // A programming error, not a user one: the bucket would land in the wrong region.
      throw new Error(`ensureStateBackend: the ${name} client is for ${configured}, not ${region}`);
    }
  }
}

/** Runs a read; the named "does not exist" error becomes undefined, anything else is thrown. */
async function readOrUndefined<T>(
  read: () => Promise<T>,
  notFound: string,
): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (errorName(error) === notFound) return undefined;
    throw error;
  }
}

function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
}

function headerOf(error: unknown, header: string): string | undefined {
  const headers = (error as { $response?: { headers?: Record<string, string> } } | undefined)
    ?.$response?.headers;
  return headers?.[header];
}
