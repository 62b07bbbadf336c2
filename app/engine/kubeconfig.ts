/**
 * The cluster's admin kubeconfig without SSH: the first k3s server stores it in Secrets Manager
 * (server URL = the API load balancer); this reads it with the caller's AWS credentials.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { ClusterConfig } from "../../infra/definition/config";
import { secretNames } from "../../infra/naming";

export class KubeconfigUnavailableError extends Error {
  override name = "KubeconfigUnavailableError";
}

export async function fetchKubeconfig(
  config: ClusterConfig,
  client: SecretsManagerClient,
): Promise<string> {
  const secretId = secretNames(config).kubeconfig;
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!out.SecretString) throw new KubeconfigUnavailableError(`${secretId} holds no text`);
    return out.SecretString;
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === "ResourceNotFoundException") {
      // The secret exists from apply on, but has no value until the first server boots.
      throw new KubeconfigUnavailableError(
        `no kubeconfig for cluster ${config.name} in ${config.region} yet (secret ${secretId}): apply the cluster first; after apply, the first server stores it within a few minutes of booting`,
      );
    }
    if (name === "AccessDeniedException") {
      throw new KubeconfigUnavailableError(
        `not allowed to read ${secretId}: the caller needs secretsmanager:GetSecretValue on it`,
      );
    }
    throw error;
  }
}
