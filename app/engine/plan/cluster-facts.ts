/**
 * The cluster in its definition's words, for the top of the plan comment: what a new cluster
 * is (servers, workers, datastore, storage, add-ons, who can reach which endpoint), and for a
 * change, which fields change from the base branch to the PR and what that does. It needs no
 * Terraform, so the bot can post it before the plan has run.
 */
import type { ClusterConfig } from "../../../infra/definition/config";
import { redactSecrets } from "../redact";

/**
 * A value from the definition as inline code. Free-form values (tags) are the PR author's:
 * no backtick or line break may end the code span and put their Markdown into the comment
 * (a blank line would close it), secrets are redacted as in the plan, and length is capped.
 */
const code = (text: string) => {
  const flat = [...redactSecrets(String(text))]
    .map((ch) => (ch === "`" ? "'" : ch.charCodeAt(0) < 32 || ch === "\u007f" ? " " : ch))
    .join("");
  return `\`${flat.length > 120 ? `${flat.slice(0, 120)}…` : flat}\``;
};
const list = (values: readonly string[]) => values.map(code).join(", ");

/** The cluster as the definition describes it, one line per concern. */
export function describeCluster(config: ClusterConfig): string[] {
  const { controlPlane: cp, workers, datastore, network, addons } = config;
  const zones = network.availabilityZones;
  const addonNames = [
    addons.ingress !== "none" ? `ingress ${addons.ingress}` : undefined,
    addons.argocd ? "Argo CD" : undefined,
    addons.jenkins ? "Jenkins" : undefined,
  ].filter((a): a is string => a !== undefined);
  return [
    `**Servers:** ${cp.count} × ${code(cp.instanceType)} (k3s ${code(config.k3s.version)}, ${cp.rootVolumeGb} GB root volume each)`,
    `**Workers:** ${workers.min}–${workers.max} × ${code(workers.instanceType)}${workers.spot ? " on Spot" : ""}, scaled by ${workers.scaling === "cpu" ? `CPU (target ${workers.cpuTarget} %)` : "cluster-autoscaler"}`,
    `**Datastore:** ${datastore.engine === "postgres" ? `RDS PostgreSQL ${code(datastore.instanceClass)}, ${datastore.storageGb} GB${datastore.multiAz ? ", Multi-AZ" : ""}, deletion protection ${datastore.deletionProtection ? "on" : "**off**"}` : "embedded etcd on the servers"}`,
    `**Storage:** ${config.storage.efs ? "EFS (`efs` StorageClass, ReadWriteMany)" : "EBS root volumes only (no EFS)"}`,
    `**Add-ons:** ${addonNames.length > 0 ? addonNames.join(", ") : "none"}`,
    `**Network:** VPC ${code(network.vpcCidr)} over ${zones.length} zones (${list(zones)}), ${network.natGateways === "perAz" ? "a NAT gateway per zone" : "one NAT gateway"}`,
    network.apiEndpoint === "public"
      ? `**Kubernetes API (TCP 6443):** internet-facing load balancer, reachable from ${list(network.adminCidrs)}`
      : `**Kubernetes API (TCP 6443):** internal load balancer, reachable inside the VPC ${code(network.vpcCidr)} only`,
    addons.ingress !== "none"
      ? `**Ingress (TCP 80, 443):** internet-facing load balancer, reachable from ${list(network.ingressCidrs)}`
      : "**Ingress:** none",
  ];
}

export interface FieldChange {
  /** Dotted path in the definition, e.g. `workers.instanceType`. */
  path: string;
  before: unknown;
  after: unknown;
}

/** Derived values that follow from fields listed on their own (zones → subnets). */
const DERIVED = [/^network\.subnets\./, /^partition$/];

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value as Record<string, unknown>))
      flatten(inner, prefix ? `${prefix}.${key}` : key, out);
  } else {
    out.set(prefix, value);
  }
}

/** Resolved fields that differ from base to head, in the definition's order. */
export function definitionChanges(base: ClusterConfig, head: ClusterConfig): FieldChange[] {
  const before = new Map<string, unknown>();
  const after = new Map<string, unknown>();
  flatten(base, "", before);
  flatten(head, "", after);
  const paths = [...new Set([...after.keys(), ...before.keys()])];
  return paths
    .filter((path) => !DERIVED.some((pattern) => pattern.test(path)))
    .filter((path) => JSON.stringify(before.get(path)) !== JSON.stringify(after.get(path)))
    .map((path) => ({ path, before: before.get(path), after: after.get(path) }));
}

export interface ChangeEffect {
  text: string;
  /** Irreversible or data-losing: flagged for the reviewer. */
  risky: boolean;
}

/** What a changed field does to the running cluster (the stack's behaviour, infra/). */
export function effectOf(change: FieldChange, head: ClusterConfig): ChangeEffect | null {
  const { path } = change;
  const workers = `${head.workers.min}–${head.workers.max} workers`;
  // infra/compute.ts: both groups roll by instance refresh, launch before terminate
  // (minHealthyPercentage 100), except a single server on embedded etcd, never refreshed.
  const serversRoll =
    head.datastore.engine === "etcd" && head.controlPlane.count === 1
      ? {
          text: "the single server holds embedded etcd, so it is not replaced automatically: replace it deliberately",
          risky: true,
        }
      : {
          text: `${head.controlPlane.count} server(s) replaced by an instance refresh, new ones healthy before old ones go`,
          risky: false,
        };
  if (/^workers\.(instanceType|rootVolumeGb|spot)$/.test(path))
    return {
      text: `the running workers (${workers}) replaced by an instance refresh, new ones healthy before old ones go`,
      risky: false,
    };
  if (/^controlPlane\.(instanceType|rootVolumeGb)$/.test(path)) return serversRoll;
  if (path === "k3s.version")
    return {
      text: `${serversRoll.text}; workers (${workers}) likewise`,
      risky: serversRoll.risky,
    };
  if (path === "datastore.engine")
    return {
      text: "a new, empty datastore: the cluster's state is not migrated",
      risky: true,
    };
  if (path === "storage.efs" && change.after === false)
    return { text: "the EFS file system and every file on it are deleted", risky: true };
  if (path === "network.vpcCidr")
    return { text: "the VPC and everything in it are replaced", risky: true };
  if (/^network\.(availabilityZones|azCount)/.test(path))
    return { text: "subnets are added or removed; nodes move between zones", risky: true };
  if (path === "datastore.restoreFromSnapshot")
    return change.after === undefined
      ? { text: "nothing changes: the database keeps what it was restored from", risky: false }
      : {
          text: `the RDS datastore is replaced by a new instance restored from snapshot ${code(String(change.after))}: everything written after it is lost (the current database is snapshotted first); the servers are replaced after the apply`,
          risky: true,
        };
  if (path === "datastore.deletionProtection" && change.after === false)
    return { text: "the database can now be deleted by a later change", risky: true };
  if (path.startsWith("network.adminCidrs"))
    return { text: "changes who can reach the Kubernetes API", risky: false };
  if (path.startsWith("network.ingressCidrs"))
    return { text: "changes who can reach the ingress (80/443)", risky: false };
  if (path === "network.apiEndpoint")
    return {
      text:
        change.after === "public"
          ? "the Kubernetes API load balancer becomes internet-facing (replaced; new address)"
          : "the Kubernetes API load balancer becomes internal (replaced; new address)",
      risky: true,
    };
  return null;
}

const shown = (value: unknown) =>
  value === undefined ? "(unset)" : code(typeof value === "string" ? value : JSON.stringify(value));

/** One bullet per changed field: `workers.instanceType` `t3.large` → `m6i.large`: effect. */
export function changeLines(changes: readonly FieldChange[], head: ClusterConfig): string[] {
  return changes.map((change) => {
    const effect = effectOf(change, head);
    const flag = effect?.risky ? "⚠️ " : "";
    return `- ${flag}${code(change.path)} ${shown(change.before)} → ${shown(change.after)}${effect ? `: ${effect.text}` : ""}`;
  });
}
