/**
 * The cluster's secrets in Secrets Manager: the k3s join (server) token, the agent token and the
 * admin kubeconfig. Created empty, with no secret version: the first server writes the values
 * at boot, so they are never in Terraform state, plan output or user data.
 */

import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { Construct } from "constructs";
import { named } from "./addresses";
import { nameTag, secretNames } from "./naming";

export interface ClusterSecretsProps {
  /** Names the secrets (`k3s-bot/<cluster>/…`) and their `Name` tags. */
  clusterName: string;
}

export class ClusterSecrets extends Construct {
  /** Lets a node join as a server; only the servers' role may read it. */
  readonly joinToken: SecretsmanagerSecret;
  /** Lets a node join as an agent, the only token workers can read. */
  readonly agentToken: SecretsmanagerSecret;
  readonly kubeconfig: SecretsmanagerSecret;

  constructor(scope: Construct, id: string, props: ClusterSecretsProps) {
    super(scope, id);
    const cluster = { name: props.clusterName };
    const names = secretNames(cluster);
    const secret = (what: string, name: string, description: string) =>
      named(
        new SecretsmanagerSecret(this, what, {
          name,
          description,
          // Delete at once on destroy, so a cluster of the same name can be created again.
          recoveryWindowInDays: 0,
          tags: nameTag(cluster, what),
        }),
        what.replaceAll("-", "_"),
      );
    this.joinToken = secret(
      "join-token",
      names.joinToken,
      `k3s join (server) token of cluster ${cluster.name}, written by its first server`,
    );
    this.agentToken = secret(
      "agent-token",
      names.agentToken,
      `k3s agent token of cluster ${cluster.name} (joins workers, not servers), written by its first server`,
    );
    this.kubeconfig = secret(
      "kubeconfig",
      names.kubeconfig,
      `Admin kubeconfig of cluster ${cluster.name}, written by its first server`,
    );
  }
}
