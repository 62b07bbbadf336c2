/**
 * DynamoDB in the emulator with one table shaped as the bot's lock table (LOCK_TABLE_SCHEMA, the
 * schema the bot creates its tables with), for tests of what lives in it: cluster locks, the
 * scheduled jobs' leases. One emulator per file (beforeAll), reset and the table made again
 * before every test. Call it at the top level of the file, before the file's own hooks.
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { LOCK_TABLE_SCHEMA } from "../../app/engine/state-backend/lock-table";
import { type Emulator, emulatorAwsClientConfig, startEmulator } from "../../app/local/emulator";
import { forwarding } from "./proxies";

export function useEmulatorLockTable(table: string): {
  emulator: Emulator;
  client: DynamoDBClient;
} {
  let emulator: Emulator | undefined;
  let client: DynamoDBClient | undefined;
  beforeAll(async () => {
    emulator = await startEmulator();
    client = new DynamoDBClient(emulatorAwsClientConfig(emulator.url));
  });
  afterAll(async () => {
    client?.destroy();
    await emulator?.stop();
  });
  beforeEach(async () => {
    await emulator?.reset();
    await client?.send(new CreateTableCommand({ TableName: table, ...LOCK_TABLE_SCHEMA }));
  });
  return {
    emulator: forwarding("the emulator", () => emulator),
    client: forwarding("the DynamoDB client", () => client),
  };
}
