/**
 * What the state backend bootstrap is given, what it reports, and how it refuses: shared by the
 * orchestration (../state-backend.ts), the bucket (bucket.ts) and the lock table (lock-table.ts).
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import type { STSClient } from "@aws-sdk/client-sts";

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

/** The tag on everything the bot creates for the state backend. */
export const MANAGED_BY_TAG = { Key: "managed-by", Value: "k3s-bot" };
