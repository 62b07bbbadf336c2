/**
 * The world of the bot's security and fault tests: one emulator per test file, Terraform
 * replaced by the recording fake (fake-terraform.ts), and both wiped before every test. Each file
 * used to spell out the same four hooks; now it calls `useEmulatorWithFakeTerraform()` at its
 * top level, before its own hooks (which then run after these: vitest runs `beforeEach` hooks
 * in order and `afterAll` hooks in reverse).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { ClusterLocks, type LockRecord } from "../../app/engine/locks";
import { type Emulator, emulatorAwsClientConfig, startEmulator } from "../../app/local/emulator";
import { type FakeTerraform, useFakeTerraform } from "./fake-terraform";
import { forwarding } from "./proxies";

export interface EmulatorWithFakeTerraform {
  /** The file's emulator; usable from `beforeAll` on. */
  emulator: Emulator;
  /** The file's fake terraform; usable from `beforeAll` on. */
  terraform: FakeTerraform;
}

/**
 * Starts the emulator and puts the fake terraform in place for this test file (beforeAll),
 * resets the emulator and forgets the fake's records before every test (beforeEach), and undoes
 * both after the file (afterAll).
 */
export function useEmulatorWithFakeTerraform(): EmulatorWithFakeTerraform {
  let emulator: Emulator | undefined;
  let terraform: FakeTerraform | undefined;
  beforeAll(async () => {
    emulator = await startEmulator();
    terraform = useFakeTerraform();
  });
  afterAll(async () => {
    terraform?.restore();
    await emulator?.stop();
  });
  beforeEach(async () => {
    await emulator?.reset();
    terraform?.clear();
  });
  return {
    emulator: forwarding("the emulator", () => emulator),
    terraform: forwarding("the fake terraform", () => terraform),
  };
}

/**
 * The lock of a cluster of `smallCluster` (bot-harness.ts: bucket acme-tfstate, table
 * acme-k3s-bot) as DynamoDB holds it, or null when there is none or no lock table yet.
 */
export async function lockOf(emulatorUrl: string, cluster: string): Promise<LockRecord | null> {
  const dynamodb = new DynamoDBClient(emulatorAwsClientConfig(emulatorUrl));
  try {
    return await new ClusterLocks(dynamodb, "acme-k3s-bot").get({
      cluster,
      stateBucket: "acme-tfstate",
      stateKey: `k3s/${cluster}/terraform.tfstate`,
    });
  } catch (error) {
    // No lock table yet: nothing was ever locked.
    if ((error as Error).name === "ResourceNotFoundException") return null;
    throw error;
  } finally {
    dynamodb.destroy();
  }
}
