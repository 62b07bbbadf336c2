/**
 * Names and tags shared by the stack's constructs, so that every AWS name of a cluster is
 * derived in one place and the limits that constrain them are checked once.
 */
import type { ClusterConfig } from "./definition/config";

/** The RDS instance identifier of a cluster's PostgreSQL datastore (snapshots are named from it). */
export function datastoreIdentifier(clusterName: string): string {
  return `${clusterName}-datastore`;
}

/** Tag that marks every resource of a cluster (also used in IAM conditions and by the bot). */
export const CLUSTER_TAG_KEY = "k3s-bot/cluster";
export const MANAGED_BY_TAG = { "managed-by": "k3s-bot" } as const;

/**
 * The tag cloud-provider-aws uses to find the cluster's subnets, security groups and instances
 * (`kubernetes.io/cluster/<name>`; value `owned` = the resource lives and dies with the cluster).
 */
export function kubernetesClusterTag(clusterName: string): Record<string, string> {
  return { [`kubernetes.io/cluster/${clusterName}`]: "owned" };
}

/** Tags on every resource: the user's tags first, so ours cannot be overridden by accident. */
export function defaultTags(config: Pick<ClusterConfig, "name" | "tags">): Record<string, string> {
  return { ...config.tags, [CLUSTER_TAG_KEY]: config.name, ...MANAGED_BY_TAG };
}

/** The `Name` tag the EC2 console shows. */
export function nameTag(config: Pick<ClusterConfig, "name">, what: string): Record<string, string> {
  return { Name: `${config.name}-${what}` };
}

/** Load balancer and target group names allow 32 characters (a-z, 0-9, hyphens). */
export function loadBalancerName(config: Pick<ClusterConfig, "name">, what: string): string {
  const name = `${config.name}-${what}`;
  if (name.length > 32) {
    throw new Error(`load balancer name ${name} is longer than 32 characters`);
  }
  return name;
}

/**
 * IAM names are global to the account while the cluster is regional: the region in the name
 * lets two clusters of the same name live in two regions of one account.
 */
export function iamName(config: Pick<ClusterConfig, "name" | "region">, what: string): string {
  return `k3s-bot-${config.name}-${config.region}-${what}`;
}

/**
 * Secrets Manager names of the cluster's secrets; their values are written at first boot. The
 * join token lets a node join as a server (servers only); workers get the agent token.
 */
export function secretNames(config: Pick<ClusterConfig, "name">): {
  joinToken: string;
  agentToken: string;
  kubeconfig: string;
} {
  return {
    joinToken: `k3s-bot/${config.name}/join-token`,
    agentToken: `k3s-bot/${config.name}/agent-token`,
    kubeconfig: `k3s-bot/${config.name}/kubeconfig`,
  };
}

/**
 * Names fixed at synth time rather than read from resource attributes: the worker launch
 * template's user data needs them, and reading them from the ASG would be a dependency cycle
 * (ASG → launch template → user data → ASG).
 */
export function workerGroupNames(config: Pick<ClusterConfig, "name">): {
  autoScalingGroup: string;
  lifecycleHook: string;
} {
  return {
    autoScalingGroup: `${config.name}-workers`,
    lifecycleHook: `${config.name}-worker-drain`,
  };
}

/**
 * The SSM parameter where the cluster's servers report its status (nodes, add-ons, Argo CD),
 * for the bot to read without a network path to the Kubernetes API. Regional, like the cluster.
 */
export function statusParameterName(config: Pick<ClusterConfig, "name">): string {
  return `/k3s-bot/${config.name}/status`;
}
