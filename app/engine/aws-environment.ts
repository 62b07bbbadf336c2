/**
 * How the engine reaches AWS: SDK clients for a region, and what Terraform runs need.
 * Production uses the default credential chain and adds nothing to the stack; the local
 * emulator (app/local/) supplies its own implementation. The engine never knows which.
 */

import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { S3Client } from "@aws-sdk/client-s3";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { ClusterConfig } from "../../infra/definition/config";
import type { StackOptions } from "../../infra/stack";
import type { synthesizeCluster } from "../../infra/synth";
import type { RolloutClients } from "./rollout/instance-refresh";

export interface AwsClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  sts: STSClient;
  /** Reads the clusters' status parameters (engine/cluster-status/). */
  ssm: SSMClient;
}

export interface AwsEnvironment {
  /** Clients for a region. */
  clients(region: string): AwsClients;
  /** Adjustments to the stack for this environment (production: none). */
  stackOptions(config: ClusterConfig, workDir: string): StackOptions;
  /** Adjusts the constructed stack (emulator-only workarounds). */
  customize?: Parameters<typeof synthesizeCluster>[2];
  /** Environment variables for Terraform processes (credentials, endpoints). */
  terraformEnv(): Record<string, string>;
  /** The account the credentials belong to, for the plan comment. */
  accountId(region: string): Promise<string | undefined>;
  /**
   * The value of a public SSM parameter in a region: the current Ubuntu image at plan time
   * (plan/images.ts). The emulator answers for parameters it cannot serve.
   */
  imageParameter(name: string, region: string): Promise<string>;
  /**
   * Clients in the cluster's account and region for the rollout after apply (instance
   * refreshes); absent where the environment cannot refresh instances (the emulator).
   */
  rolloutClients?(config: ClusterConfig): Promise<RolloutClients>;
  /** Called once the state backend exists (the emulator works around a gap here). */
  afterStateBackend?(config: ClusterConfig): Promise<void>;
}

/** Real AWS through the SDK's default credential chain (env, profile, instance/task role). */
export class DefaultAwsEnvironment implements AwsEnvironment {
  private readonly cache = new Map<string, AwsClients>();
  private account?: Promise<string | undefined>;

  clients(region: string): AwsClients {
    let clients = this.cache.get(region);
    if (!clients) {
      clients = {
        s3: new S3Client({ region }),
        dynamodb: new DynamoDBClient({ region }),
        sts: new STSClient({ region }),
        ssm: new SSMClient({ region }),
      };
      this.cache.set(region, clients);
    }
    return clients;
  }

  stackOptions(): StackOptions {
    return {};
  }

  async imageParameter(name: string, region: string): Promise<string> {
    const ssm = new SSMClient({ region });
    try {
      const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name }));
      if (!Parameter?.Value) throw new Error("the parameter has no value");
      return Parameter.Value;
    } finally {
      ssm.destroy();
    }
  }

  terraformEnv(): Record<string, string> {
    return {};
  }

  /**
   * With a role, as Terraform's provider does (infra/stack.ts). The credentials are a provider
   * with an expiration, so the SDK assumes the role again when a long rollout outlives them.
   */
  async rolloutClients(config: ClusterConfig): Promise<RolloutClients> {
    const { region, name } = config;
    const roleArn = config.aws.roleArn;
    const sts = this.clients(region).sts;
    const credentials = roleArn
      ? async () => {
          const assumed = await sts.send(
            new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: `k3s-bot-${name}` }),
          );
          const c = assumed.Credentials;
          if (!c?.AccessKeyId || !c.SecretAccessKey)
            throw new Error(`assuming ${roleArn} returned no credentials`);
          return {
            accessKeyId: c.AccessKeyId,
            secretAccessKey: c.SecretAccessKey,
            ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
            ...(c.Expiration ? { expiration: c.Expiration } : {}),
          };
        }
      : undefined;
    const settings = { region, ...(credentials ? { credentials } : {}) };
    return { autoscaling: new AutoScalingClient(settings), ec2: new EC2Client(settings) };
  }

  /** Asked once per process (STS GetCallerIdentity); a failed call is asked again next time. */
  accountId(region: string): Promise<string | undefined> {
    if (!this.account) {
      const account = this.clients(region)
        .sts.send(new GetCallerIdentityCommand({}))
        .then((identity) => identity.Account);
      this.account = account;
      account.catch(() => {
        if (this.account === account) this.account = undefined;
      });
    }
    return this.account.catch(() => undefined);
  }
}
