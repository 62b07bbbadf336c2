/**
 * The engine's AWS environment when AWS is the local emulator (tests and `npm run demo`):
 * SDK clients, provider and backend settings all point at the moto server, and the emulator's
 * narrow workarounds (emulator-overrides.ts) are applied. Production never loads this file.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SSMClient } from "@aws-sdk/client-ssm";
import { STSClient } from "@aws-sdk/client-sts";
import type { ClusterConfig } from "../../infra/definition/config";
import type { StackOptions } from "../../infra/stack";
import type { AwsClients, AwsEnvironment } from "../engine/aws-environment";
import {
  EMULATOR_ACCOUNT_ID,
  emulatorAwsClientConfig,
  emulatorBackendSettings,
  emulatorProviderSettings,
} from "./emulator";
import { applyEmulatorWorkarounds, dropTlsOnlyBucketPolicy } from "./emulator-overrides";

/** Images in moto's built-in list (x86_64 and arm64), standing in for Canonical's. */
export const EMULATOR_AMD64_IMAGE = "ami-03cf127a";
export const EMULATOR_ARM64_IMAGE = "ami-0e9271c829888680e";

/**
 * One function for every instance: the engine's synth cache keys on the hook's identity, so
 * stacks synthesized for one emulator environment serve another pointed at the same emulator.
 */
const emulatorCustomize: NonNullable<AwsEnvironment["customize"]> = (stack) => {
  applyEmulatorWorkarounds(stack);
};

export class EmulatorAwsEnvironment implements AwsEnvironment {
  private readonly cache = new Map<string, AwsClients>();
  readonly customize: AwsEnvironment["customize"] = emulatorCustomize;

  constructor(readonly url: string) {}

  clients(region: string): AwsClients {
    let clients = this.cache.get(region);
    if (!clients) {
      const config = emulatorAwsClientConfig(this.url, region);
      clients = {
        s3: new S3Client(config),
        dynamodb: new DynamoDBClient(config),
        sts: new STSClient(config),
        ssm: new SSMClient(config),
      };
      this.cache.set(region, clients);
    }
    return clients;
  }

  stackOptions(): StackOptions {
    return {
      providerOverrides: emulatorProviderSettings(this.url),
      backend: { kind: "s3", overrides: emulatorBackendSettings(this.url) },
    };
  }

  /**
   * moto 5.2.1 ships no `/aws/service/canonical/...` parameters and refuses to create any under
   * `/aws/` (moto/ssm/models.py, put_parameter: "No access to reserved parameter name"), so
   * the emulator cannot be seeded with Canonical's parameter: it answers with images moto
   * itself lists (moto/ec2/resources/amis.json.gz), per architecture. See docs/emulator.md.
   */
  async imageParameter(name: string): Promise<string> {
    return name.includes("/arm64/") ? EMULATOR_ARM64_IMAGE : EMULATOR_AMD64_IMAGE;
  }

  terraformEnv(): Record<string, string> {
    return { AWS_EC2_METADATA_DISABLED: "true" };
  }

  async accountId(): Promise<string> {
    return EMULATOR_ACCOUNT_ID;
  }

  async afterStateBackend(config: ClusterConfig): Promise<void> {
    await dropTlsOnlyBucketPolicy(this.clients(config.state.region).s3, config.state.bucket);
  }

  destroy(): void {
    for (const clients of this.cache.values()) {
      clients.s3.destroy();
      clients.dynamodb.destroy();
      clients.sts.destroy();
      clients.ssm.destroy();
    }
    this.cache.clear();
  }
}
