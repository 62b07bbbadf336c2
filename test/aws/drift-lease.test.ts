/**
 * The drift scan's lease against DynamoDB as the emulator serves it: one replica of two takes
 * it, nobody scans again before the interval, and a replica that dies mid-scan loses it once
 * its claim runs out.
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DriftLease } from "../../app/engine/drift-lease";
import { LOCK_TABLE_SCHEMA } from "../../app/engine/state-backend/lock-table";
import { type Emulator, emulatorAwsClientConfig, startEmulator } from "../../app/local/emulator";

let emulator: Emulator;
let client: DynamoDBClient;
const table = "k3s-bot-deliveries";
const HOUR = 3_600_000;
let clock = 1_800_000_000_000;
const now = () => clock;
const replica = (holder: string) =>
  new DriftLease(client, table, { holder, intervalMs: 24 * HOUR, claimMs: 5 * 60_000, now });

beforeAll(async () => {
  emulator = await startEmulator();
  client = new DynamoDBClient(emulatorAwsClientConfig(emulator.url));
});
afterAll(async () => {
  client?.destroy();
  await emulator?.stop();
});
beforeEach(async () => {
  await emulator.reset();
  // The lease lives in the bot's own table, created as the bot creates it.
  await client.send(new CreateTableCommand({ TableName: table, ...LOCK_TABLE_SCHEMA }));
});

describe("drift lease", () => {
  it("elects one replica, and none scans again before the interval", async () => {
    const [a, b] = [replica("a"), replica("b")];
    // One after the other: DynamoDB makes a single item's conditional write atomic, the
    // emulator's threaded server does not promise to, so a race here would test the emulator.
    const [winner, loser] = [a, b];
    expect(await winner.take()).toBe(true);
    expect(await loser.take()).toBe(false);
    expect(await loser.renew()).toBe(false);
    expect(await winner.finish()).toBe(true);
    clock += HOUR;
    expect(await loser.take()).toBe(false);
    clock += 23 * HOUR;
    expect(await loser.take()).toBe(true);
  });

  it("a replica that dies mid-scan loses the lease once its claim runs out", async () => {
    const [a, b] = [replica("a"), replica("b")];
    expect(await a.take()).toBe(true);
    clock += 4 * 60_000;
    expect(await b.take()).toBe(false);
    clock += 2 * 60_000;
    expect(await b.take()).toBe(true);
    // The dead one cannot come back and record a scan it did not finish.
    expect(await a.renew()).toBe(false);
    expect(await a.finish()).toBe(false);
  });
});
