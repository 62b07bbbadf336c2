// Creates, once, what `terraform init` needs before it can run: the S3 state bucket, and the
// DynamoDB table that holds the bot's own locks and delivery records (Terraform itself locks
// with use_lockfile in S3). Existing resources are checked, never silently changed: a bucket
// is someone's state, and "fixing" it behind their back could hide a real problem.
//
// This file is the orchestration: the account check, then the bucket (state-backend/bucket.ts)
// and the lock table (state-backend/lock-table.ts).

import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { ensureBucket } from "./state-backend/bucket";
import { ensureLockTable } from "./state-backend/lock-table";
import {
  type StateBackendClients,
  StateBackendError,
  type StateBackendReport,
  type StateBackendSpec,
} from "./state-backend/types";

export {
  LOCK_TABLE_KEY,
  LOCK_TABLE_SCHEMA,
  LOCK_TABLE_TTL_ATTRIBUTE,
} from "./state-backend/lock-table";
export {
  type StateBackendClients,
  StateBackendError,
  type StateBackendReport,
  type StateBackendSpec,
} from "./state-backend/types";

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
