import {
  CreateTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LOCK_TABLE_SCHEMA } from "../../app/engine/state-backend/lock-table";
import {
  ensureStateBackend,
  type StateBackendClients,
  StateBackendError,
  type StateBackendSpec,
} from "../../app/engine/state-backend.js";
import {
  EMULATOR_ACCOUNT_ID,
  type Emulator,
  emulatorAwsClientConfig,
  startEmulator,
} from "../../app/local/emulator.js";

const spec: StateBackendSpec = {
  bucket: "acme-tfstate",
  lockTable: "acme-k3s-bot",
  region: "eu-central-1",
};

/** Every command the clients send, by name ("CreateBucket", "DescribeTable", ...). */
type CommandLog = string[];
const READ = /^(Get|Head|Describe|List)/;
const writesIn = (log: CommandLog) => log.filter((name) => !READ.test(name));

function recordCommands(client: S3Client | DynamoDBClient | STSClient, log: CommandLog): void {
  // The middleware only reads the command's name, so one signature serves every client (the
  // union of three stacks' typed `add` is not callable as such).
  (client as S3Client).middlewareStack.add(
    (next, context) => (args) => {
      log.push(String(context.commandName).replace(/Command$/, ""));
      return next(args);
    },
    { step: "initialize", name: "recordCommands" },
  );
}

describe("ensureStateBackend against the emulator", () => {
  let emulator: Emulator;
  let clients: StateBackendClients;
  let log: CommandLog;

  beforeAll(async () => {
    // No IAM here: skipping the managed policies makes each reset ~1 s faster.
    emulator = await startEmulator({ region: spec.region, loadManagedIamPolicies: false });
  }, 60_000);
  afterAll(async () => {
    await emulator?.stop();
  });
  beforeEach(async () => {
    await emulator.reset();
    const config = emulatorAwsClientConfig(emulator.url, spec.region);
    clients = {
      s3: new S3Client(config),
      dynamodb: new DynamoDBClient(config),
      sts: new STSClient(config),
    };
    log = [];
    for (const client of Object.values(clients)) recordCommands(client, log);
  });

  it("creates the bucket and the table with the settings the state needs", async () => {
    const report = await ensureStateBackend(spec, clients);
    expect(report).toEqual({
      accountId: EMULATOR_ACCOUNT_ID,
      region: spec.region,
      bucket: { name: spec.bucket, action: "created", encryption: "SSE-S3" },
      lockTable: { name: spec.lockTable, action: "created", pointInTimeRecovery: true },
      warnings: [],
    });

    const Bucket = spec.bucket;
    const { s3, dynamodb } = clients;
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe("Enabled");
    const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket }));
    expect(
      encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault,
    ).toEqual({ SSEAlgorithm: "AES256" });
    expect(
      (await s3.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration,
    ).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const ownership = await s3.send(new GetBucketOwnershipControlsCommand({ Bucket }));
    expect(ownership.OwnershipControls?.Rules).toEqual([
      { ObjectOwnership: "BucketOwnerEnforced" },
    ]);
    const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket }))).Policy ?? "");
    expect(policy.Statement[0]).toMatchObject({
      Effect: "Deny",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });

    const TableName = spec.lockTable;
    const table = (await dynamodb.send(new DescribeTableCommand({ TableName }))).Table;
    expect(table?.KeySchema).toEqual([
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ]);
    expect(table?.AttributeDefinitions).toEqual([
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "sk", AttributeType: "S" },
    ]);
    expect(table?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName }));
    expect(ttl.TimeToLiveDescription).toEqual({
      TimeToLiveStatus: "ENABLED",
      AttributeName: "expiresAt",
    });
    const backups = await dynamodb.send(new DescribeContinuousBackupsCommand({ TableName }));
    expect(
      backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription
        ?.PointInTimeRecoveryStatus,
    ).toBe("ENABLED");
  });

  it("lets replicas that race to create a new bucket agree on it", async () => {
    // Each replica has its own clients; all find the bucket missing, one creates it, the others
    // lose the race while the winner is still configuring it, and must wait, not call it unsafe.
    const config = emulatorAwsClientConfig(emulator.url, spec.region);
    const replicas = Array.from({ length: 4 }, () => ({
      s3: new S3Client(config),
      dynamodb: new DynamoDBClient(config),
      sts: new STSClient(config),
    }));
    const reports = await Promise.all(replicas.map((c) => ensureStateBackend(spec, c)));
    expect(reports.map((r) => r.bucket.action).sort()).toEqual([
      "created",
      "found",
      "found",
      "found",
    ]);
    expect(reports.every((r) => r.bucket.encryption === "SSE-S3")).toBe(true);
  });

  it("writes nothing the second time", async () => {
    await ensureStateBackend(spec, clients);
    log.length = 0;
    const report = await ensureStateBackend(spec, clients);
    expect(writesIn(log)).toEqual([]);
    expect(log.length).toBeGreaterThan(0); // the recorder does see the reads
    expect(report.bucket.action).toBe("found");
    expect(report.lockTable.action).toBe("found");
    expect(report.warnings).toEqual([]);
  });

  it("encrypts with the KMS key when one is given", async () => {
    const kmsKeyId = `arn:aws:kms:${spec.region}:${EMULATOR_ACCOUNT_ID}:alias/k3s-bot-state`;
    const report = await ensureStateBackend({ ...spec, kmsKeyId }, clients);
    expect(report.bucket.encryption).toBe("SSE-KMS");
    const encryption = await clients.s3.send(
      new GetBucketEncryptionCommand({ Bucket: spec.bucket }),
    );
    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]).toMatchObject({
      ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: kmsKeyId },
      BucketKeyEnabled: true,
    });
  });

  describe("an existing bucket that is not safe for state", () => {
    const Bucket = spec.bucket;
    const createBucket = () =>
      clients.s3.send(
        new CreateBucketCommand({
          Bucket,
          CreateBucketConfiguration: { LocationConstraint: "eu-central-1" },
        }),
      );
    const blockPublicAccess = () =>
      clients.s3.send(
        new PutPublicAccessBlockCommand({
          Bucket,
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            IgnorePublicAcls: true,
            BlockPublicPolicy: true,
            RestrictPublicBuckets: true,
          },
        }),
      );
    const encrypt = () =>
      clients.s3.send(
        new PutBucketEncryptionCommand({
          Bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
          },
        }),
      );
    const enableVersioning = () =>
      clients.s3.send(
        new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }),
      );

    async function failure(): Promise<StateBackendError> {
      log.length = 0;
      const error = await ensureStateBackend(spec, clients).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StateBackendError);
      // Refused, not repaired: not a single write, not even to the table.
      expect(writesIn(log)).toEqual([]);
      return error as StateBackendError;
    }

    it("with versioning off is refused, with the fix", async () => {
      await createBucket();
      await blockPublicAccess();
      await encrypt();
      const error = await failure();
      expect(error.problems).toHaveLength(1);
      expect(error.message).toContain("S3 bucket acme-tfstate exists but is not safe");
      expect(error.message).toContain("versioning is not enabled");
      expect(error.message).toContain(
        "aws s3api put-bucket-versioning --bucket acme-tfstate --versioning-configuration Status=Enabled",
      );
    });

    it("with public access not blocked is refused, with the fix", async () => {
      await createBucket();
      await enableVersioning();
      await encrypt();
      const error = await failure();
      expect(error.problems).toHaveLength(1);
      expect(error.message).toContain("public access is not fully blocked");
      expect(error.message).toContain("aws s3api put-public-access-block --bucket acme-tfstate");
    });

    it("lists every problem at once", async () => {
      await createBucket();
      const error = await failure();
      expect(error.problems).toHaveLength(3);
      expect(error.problems[0]).toMatch(/^versioning is not enabled/);
      expect(error.problems[1]).toMatch(/^public access is not fully blocked/);
      expect(error.problems[2]).toMatch(/^it has no default encryption/);
    });

    it("that is safe but less hardened is used, with warnings", async () => {
      await createBucket();
      await enableVersioning();
      await blockPublicAccess();
      await encrypt();
      log.length = 0;
      const report = await ensureStateBackend(spec, clients);
      expect(report.bucket.action).toBe("found");
      expect(report.warnings.join("\n")).toContain("no policy denying requests without TLS");
      // The bucket is left as it is; only the (missing) table is created.
      expect(writesIn(log)).toEqual(["CreateTable", "UpdateTimeToLive", "UpdateContinuousBackups"]);
    });
  });

  it("refuses a bucket owned by another account", async () => {
    // With ExpectedBucketOwner set, S3 answers 403 for a bucket in another account. moto 5.2.1
    // ignores ExpectedBucketOwner, so the test plays S3's part for that one answer.
    clients.s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "HeadBucketCommand") {
          throw Object.assign(new Error("Forbidden"), {
            name: "403",
            $metadata: { httpStatusCode: 403 },
          });
        }
        return next(args);
      },
      { step: "initialize", name: "foreignBucket" },
    );
    const error = await ensureStateBackend(spec, clients).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateBackendError);
    expect((error as Error).message).toContain(
      `it exists but is not owned by account ${EMULATOR_ACCOUNT_ID}`,
    );
    expect((error as Error).message).toContain("choose another name in state.bucket");
    expect(writesIn(log)).toEqual([]);
  });

  it("refuses to run in an account other than the expected one", async () => {
    const error = await ensureStateBackend(
      { ...spec, expectedAccountId: "210987654321" },
      clients,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateBackendError);
    expect((error as Error).message).toContain(
      `belong to account ${EMULATOR_ACCOUNT_ID}, but the state backend is expected in account 210987654321`,
    );
    expect(log).toEqual(["GetCallerIdentity"]);
  });

  it("refuses a table with another key schema", async () => {
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: spec.lockTable,
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "LockID", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "LockID", AttributeType: "S" }],
      }),
    );
    const error = await ensureStateBackend(spec, clients).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateBackendError);
    expect((error as Error).message).toContain(
      "DynamoDB table acme-k3s-bot exists but cannot hold k3s-bot's locks",
    );
    expect((error as Error).message).toContain(
      "its key is LockID (S, HASH), but k3s-bot needs pk (S, HASH) + sk (S, RANGE)",
    );
    expect((error as Error).message).toContain("choose another name in state.lockTable");
  });

  it("switches on the TTL of a table left without it, once", async () => {
    await clients.dynamodb.send(
      // The bot's own schema, made without what ensureStateBackend adds (the TTL).
      new CreateTableCommand({ TableName: spec.lockTable, ...LOCK_TABLE_SCHEMA }),
    );
    const first = await ensureStateBackend(spec, clients);
    expect(first.lockTable).toEqual({
      name: spec.lockTable,
      action: "updated",
      pointInTimeRecovery: false,
    });
    expect(first.warnings.join("\n")).toContain("point-in-time recovery off");
    log.length = 0;
    const second = await ensureStateBackend(spec, clients);
    expect(second.lockTable.action).toBe("found");
    expect(writesIn(log)).toEqual([]);
  });
});
