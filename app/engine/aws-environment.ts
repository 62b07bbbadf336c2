/**
 * How the engine reaches AWS: SDK clients for a region, and what Terraform runs need.
 * Production uses the default credential chain and adds nothing to the stack; the local
 * emulator (app/local/) supplies its own implementation. The engine never knows which.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { ClusterConfig } from "../../infra/definition/config";
import type { StackOptions } from "../../infra/stack";
import type { synthesizeCluster } from "../../infra/synth";

export interface AwsClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  sts: STSClient;
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
