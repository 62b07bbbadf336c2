/**
 * Contract between the stack (`infra/compute.ts`) and node bootstrap (`infra/bootstrap/`).
 *
 * The stack passes values known at synth time, some of which are Terraform tokens (the API
 * load balancer's DNS name, secret ARNs); the bootstrap renders the EC2 user data from its
 * templates. No secret value ever passes through here: only names and ARNs of secrets that the
 * nodes read at boot with their instance role.
 */
export interface BootstrapParams {
  clusterName: string;
  region: string;
  k3sVersion: string;
  /** DNS name of the Kubernetes API load balancer (a Terraform token). */
  apiEndpoint: string;
  /** Secrets Manager secret that holds the join token; its value is created at first boot. */
  joinTokenSecretArn: string;
  /** Secrets Manager secret where the first server stores the admin kubeconfig. */
  kubeconfigSecretArn: string;
  clusterCidr: string;
  serviceCidr: string;
  datastore:
    | {
        engine: "postgres";
        /** host:port of the RDS instance (a Terraform token). */
        address: string;
        port: string;
        dbName: string;
        /** RDS-managed master user secret (a Terraform token). */
        masterSecretArn: string;
      }
    | { engine: "etcd" };
  /** EFS file system id, when shared storage is on. */
  efsFileSystemId?: string;
  addons: { ingress: "nginx" | "none"; jenkins: boolean; argocd: boolean };
  workers: {
    autoScalingGroupName: string;
    scaling: "cpu" | "clusterAutoscaler";
    lifecycleHookName: string;
    drainTimeoutSeconds: number;
  };
}

export type NodeRole = "server" | "agent";

/**
 * EC2 user data for a node, as text that may contain Terraform tokens. The caller wraps it in
 * `Fn.base64gzip()` (cloud-init reads gzip) to stay under EC2's 16 KB limit. Literal `${` and
 * `%{` in scripts must be escaped as `$${` and `%%{`, or Terraform would interpolate them.
 * Owned by `infra/bootstrap/`; this first version only writes the parameters where the
 * bootstrap scripts will read them.
 */
export function renderUserData(role: NodeRole, params: BootstrapParams): string {
  const env = JSON.stringify({ role, ...params });
  return `#!/bin/sh\nmkdir -p /etc/k3s-bot\ncat > /etc/k3s-bot/params.json <<'EOF'\n${env}\nEOF\n`;
}
