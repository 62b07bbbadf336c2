/**
 * What an add-on is: everything k3s-bot knows about one thing k3s installs from a Helm chart,
 * declared in one file under infra/addons/ and listed once in ./index.ts. The definition schema,
 * the servers' HelmChart manifests, the node roles' IAM policies, the IAM permissions boundary
 * and the generated docs read the registry; none of them names an add-on.
 */
import type { z } from "zod";
import type { BootstrapParams, NodeRole } from "../bootstrap/user-data";
import type { PolicyDocument } from "../iam-policies";

export interface ChartPin {
  /** Chart name in the repository. */
  chart: string;
  /** Helm repository URL (spec.repo of k3s' HelmChart). */
  repo: string;
  version: string;
}

/**
 * The add-on's field under `addons` in a cluster definition, for an add-on the user switches.
 * Add-ons that follow another field (the cloud controller always, the EFS driver with
 * `storage.efs`, cluster-autoscaler with `workers.scaling`) have none.
 */
export interface AddonSwitch {
  /** The field name: `addons.<key>`. */
  key: string;
  /** The zod field, with its default and `.describe(…)` (it becomes the reference's line). */
  field: z.ZodType;
  /** The value that leaves the add-on out (the "no add-ons" variant of the IAM policy doc). */
  off: unknown;
  /**
   * Its place among the `addons` fields in the schema, the JSON Schema and the definition
   * reference (1 first). Separate from the registry's order, which is the order the servers
   * write the manifests, so neither published order moves when one add-on is added.
   */
  position: number;
}

/**
 * One HelmChart manifest: the template `infra/bootstrap/manifests/<name>.yaml`, written on the
 * servers as `/var/lib/rancher/k3s/server/manifests/k3s-bot-<name>.yaml`. Templates use
 * @@NAME@@ placeholders; CHART, REPO and VERSION come from `chart`, CLUSTER_NAME and REGION
 * from the cluster, the rest from `values`.
 */
export interface AddonManifest {
  name: string;
  chart: ChartPin;
  /** The template's own values; `undefined` leaves this manifest out for this cluster. */
  values?: (params: BootstrapParams) => Readonly<Record<string, string>> | undefined;
  /** A last edit of the rendered text (e.g. drop a block whose value is empty). */
  adjust?: (content: string) => string;
}

/** What the node roles' add-on policies are built from. */
export interface NodePolicyContext {
  clusterName: string;
  /** ARN of the cluster's EFS file system, when `storage.efs` is on (a Terraform token). */
  efsFileSystemArn?: string;
}

/** An inline policy of a node role, named `<cluster>-<role>-<name>` by NodeIdentity. */
export interface NodePolicy {
  name: string;
  roles: readonly NodeRole[];
  document: PolicyDocument;
  /**
   * Why no upstream policy in infra/facts/iam/ backs it, for a policy the add-on's project does
   * not document; every other node policy must have its fact.
   */
  withoutUpstreamFact?: string;
}

export interface Addon {
  /** Short name, used in tests and error messages. */
  name: string;
  switch?: AddonSwitch;
  /** Whether a cluster with these bootstrap parameters gets the add-on. */
  enabled: (params: BootstrapParams) => boolean;
  manifests: readonly AddonManifest[];
  /**
   * AWS permissions its pods take from the node role, when enabled. Each policy follows an
   * upstream policy kept in infra/facts/iam/ (test/stack/node-iam-facts.test.ts keeps them to it).
   */
  nodePolicies?: (context: NodePolicyContext) => readonly NodePolicy[];
}

/** "v1.33.5+k3s1" -> "1.33". */
export function k3sMinor(k3sVersion: string): string | undefined {
  return /^v(\d+\.\d+)\./.exec(k3sVersion)?.[1];
}
