/**
 * The DynamoDB table of the bot's own locks and delivery records: its key and TTL attribute,
 * created on demand with point-in-time recovery; an existing table is checked, never changed
 * except to switch on its TTL.
 */
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
import { errorName, readOrUndefined } from "./aws-errors";
import {
  MANAGED_BY_TAG,
  StateBackendError,
  type StateBackendReport,
  type StateBackendSpec,
} from "./types";

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

export async function ensureLockTable(
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
