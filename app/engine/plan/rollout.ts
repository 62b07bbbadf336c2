/**
 * What a plan will roll, in cluster terms: which node groups get their nodes replaced, in what
 * order, how many nodes and roughly how long, read from the JSON plan's resource changes.
 *
 * Resources are found by type and tags (`k3s-bot/role` on launch templates and groups), never
 * by address, so renaming constructs does not change the answer. A node group rolls when its
 * launch template gets a new version (any change to what an instance launches with); a change
 * of counts only adds or removes nodes. The rollout itself runs after apply (app/engine/
 * rollout/): servers first, one at a time, then workers, one at a time, each drained first.
 */
import { gunzipSync } from "node:zlib";
import type { ClusterConfig } from "../../../infra/definition/config";
import type { NodeGroup } from "./images";

/** One entry of `terraform show -json`'s `resource_changes` (the fields read here). */
export interface PlannedChange {
  type: string;
  address?: string;
  change: {
    actions: string[];
    before?: unknown;
    after?: unknown;
    after_unknown?: unknown;
  };
}

export interface GroupRollout {
  group: NodeGroup;
  /** What changed in the group's launch template, in words. */
  reasons: string[];
  /** Nodes to replace: exact when the group's current size is in the state, else min..max. */
  nodes: { low: number; high: number };
  /** Rough minutes for the whole group (one node at a time). */
  minutes: { low: number; high: number };
}

export interface RolloutPrediction {
  /** In rollout order: servers before workers. */
  groups: GroupRollout[];
  /** Changes of counts: nodes come or go, none is replaced. */
  scaling: string[];
  /** Why the rollout will not start by itself (the apply says so too). */
  refusal?: string;
}

/** Launch template attributes that do not make a new version, or are computed. */
const NOT_A_NEW_VERSION = new Set([
  "arn",
  "id",
  "default_version",
  "latest_version",
  "update_default_version",
  "tags",
  "tags_all",
]);

/** Used when the plan carries no group settings (a new cluster): the stack's values. */
const DEFAULT_GRACE_SECONDS: Record<NodeGroup, number> = { controlPlane: 600, workers: 300 };
const DEFAULT_WARMUP_SECONDS = 300;
/** The fastest boot assumed for the low estimate: EC2 launch, cloud-init, k3s download. */
const FASTEST_BOOT_SECONDS = 120;

type Values = Record<string, unknown>;
const record = (value: unknown): Values =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Values) : {};

const ROLE_GROUP: Record<string, NodeGroup> = { server: "controlPlane", agent: "workers" };

/** The `k3s-bot/role` of a launch template (tag specifications) or a group (tag blocks). */
function roleOf(values: Values): NodeGroup | undefined {
  const specs = Array.isArray(values.tag_specifications) ? values.tag_specifications : [];
  for (const spec of specs) {
    const role = record(record(spec).tags)["k3s-bot/role"];
    if (typeof role === "string" && ROLE_GROUP[role]) return ROLE_GROUP[role];
  }
  const tags = Array.isArray(values.tag) ? values.tag : [];
  for (const tag of tags) {
    const { key, value } = record(tag);
    if (key === "k3s-bot/role" && typeof value === "string" && ROLE_GROUP[value])
      return ROLE_GROUP[value];
  }
  return undefined;
}

function groupOf(change: PlannedChange): NodeGroup | undefined {
  return roleOf(record(change.change.after)) ?? roleOf(record(change.change.before));
}

/** The k3s version a node's bootstrap script installs (params.env in the user data). */
export function k3sVersionInUserData(userData: unknown): string | undefined {
  if (typeof userData !== "string" || userData === "") return undefined;
  try {
    const text = gunzipSync(Buffer.from(userData, "base64")).toString("utf8");
    return /^K3S_BOT_K3S_VERSION='([^'\n]+)'$/m.exec(text)?.[1];
  } catch {
    return undefined;
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Why a launch template change replaces nodes, in words; empty when it does not. */
function templateReasons(change: PlannedChange): string[] {
  const before = record(change.change.before);
  const after = record(change.change.after);
  const unknown = record(change.change.after_unknown);
  const keys = [
    ...new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown)]),
  ]
    .filter((key) => !NOT_A_NEW_VERSION.has(key))
    .filter((key) => unknown[key] === true || !same(before[key], after[key]))
    .sort();
  return keys.map((key) => {
    const known = unknown[key] !== true;
    switch (key) {
      case "image_id":
        return known ? `image ${before[key]} → ${after[key]}` : "image (known after apply)";
      case "instance_type":
        return `instance type ${before[key]} → ${after[key]}`;
      case "user_data": {
        const from = k3sVersionInUserData(before[key]);
        const to = known ? k3sVersionInUserData(after[key]) : undefined;
        if (from && to && from !== to) return `k3s ${from} → ${to}`;
        return known ? "bootstrap script" : "bootstrap script (known after apply)";
      }
      default:
        return `launch template \`${key}\``;
    }
  });
}

const isUpdate = (actions: readonly string[]) =>
  actions.includes("update") || (actions.includes("create") && actions.includes("delete"));

function groupSettings(changes: readonly PlannedChange[], group: NodeGroup) {
  const asg = changes.find((c) => c.type === "aws_autoscaling_group" && groupOf(c) === group);
  const before = record(asg?.change.before);
  const after = record(asg?.change.after);
  const number = (value: unknown) => (typeof value === "number" ? value : undefined);
  return {
    current: number(before.desired_capacity),
    grace: number(after.health_check_grace_period) ?? DEFAULT_GRACE_SECONDS[group],
    warmup: number(after.default_instance_warmup) || DEFAULT_WARMUP_SECONDS,
    asg,
  };
}

/** The message when a server rollout would lose the cluster's only copy of its state. */
export function singleEtcdServerRefusal(config: ClusterConfig): string | undefined {
  if (config.datastore.engine !== "etcd" || config.controlPlane.count !== 1) return undefined;
  return "The only server holds the only copy of the cluster state (`datastore.engine: etcd` with `controlPlane.count: 1`): replacing it would start an empty cluster, so the servers are not replaced automatically, and neither are the workers (they must not run a newer k3s than the servers). Set `controlPlane.count: 3` for a rolling replacement, or use the etcd backup feature (snapshots with restore on replacement) where it is enabled.";
}

export function predictRollout(
  head: ClusterConfig,
  changes: readonly PlannedChange[],
): RolloutPrediction {
  const groups: GroupRollout[] = [];
  const scaling: string[] = [];
  for (const group of ["controlPlane", "workers"] as const) {
    const settings = groupSettings(changes, group);
    const template = changes.find(
      (c) => c.type === "aws_launch_template" && groupOf(c) === group && isUpdate(c.change.actions),
    );
    const reasons = template ? templateReasons(template) : [];
    const asgActions = settings.asg?.change.actions ?? [];
    if (settings.asg && asgActions.includes("update")) {
      const before = record(settings.asg.change.before);
      const after = record(settings.asg.change.after);
      const moved = ["min_size", "max_size", "desired_capacity"]
        .filter((key) => after[key] !== undefined && !same(before[key], after[key]))
        .map(
          (key) =>
            `${key.replace("_capacity", "").replace("_size", "")} ${before[key]} → ${after[key]}`,
        );
      if (moved.length > 0)
        scaling.push(
          `${group === "controlPlane" ? "servers" : "workers"}: ${moved.join(", ")} (nodes are added or removed, none is replaced)`,
        );
    }
    // A new group (first apply) launches its nodes: nothing to roll.
    if (reasons.length === 0 || !settings.asg || asgActions.includes("create")) continue;
    const nodes =
      group === "controlPlane"
        ? { low: head.controlPlane.count, high: head.controlPlane.count }
        : settings.current !== undefined
          ? { low: settings.current, high: settings.current }
          : { low: head.workers.min, high: head.workers.max };
    // Per node, one at a time: the new node boots (fastest assumed, at most the health-check
    // grace before the group gives up on it), then the refresh waits the instance warmup before
    // the next (AWS: RefreshPreferences.InstanceWarmup); a worker is drained first.
    const drain = group === "workers" ? head.workers.drainTimeoutSeconds : 0;
    const perNodeLow = FASTEST_BOOT_SECONDS + settings.warmup;
    const perNodeHigh = settings.grace + settings.warmup + drain;
    groups.push({
      group,
      reasons,
      nodes,
      minutes: {
        low: Math.ceil((nodes.low * perNodeLow) / 60),
        high: Math.ceil((nodes.high * perNodeHigh) / 60),
      },
    });
  }
  const refusal = groups.some((g) => g.group === "controlPlane")
    ? singleEtcdServerRefusal(head)
    : undefined;
  return { groups, scaling, ...(refusal ? { refusal } : {}) };
}

const LABEL: Record<NodeGroup, string> = { controlPlane: "servers", workers: "workers" };

const range = (r: { low: number; high: number }) =>
  r.low === r.high ? `${r.low}` : `${r.low}–${r.high}`;

/** The plan comment's "Rollout" section; empty when nothing rolls or scales. */
export function rolloutMarkdown(prediction: RolloutPrediction): string {
  const { groups, scaling, refusal } = prediction;
  if (groups.length === 0 && scaling.length === 0) return "";
  const lines = ["#### Rollout after apply"];
  if (groups.length === 0) {
    lines.push("", "No node is replaced.");
  } else {
    lines.push(
      "",
      "| order | group | nodes replaced | why | rough time |",
      "|--:|---|--:|---|---|",
      ...groups.map(
        (g, index) =>
          `| ${index + 1} | ${LABEL[g.group]} | ${range(g.nodes)} | ${g.reasons.join("; ")} | ${range(g.minutes)} min |`,
      ),
      "",
      "One node at a time; a group starts when the one before it is healthy (servers before workers, as Kubernetes' version skew policy asks). Workers are drained before they go. A failed group rolls back to its previous launch template version and stops the rollout. Times are rough: per node, a fast boot plus the instance warmup, up to the health-check grace plus the warmup (plus the drain timeout for workers).",
    );
  }
  if (scaling.length > 0) lines.push("", ...scaling.map((line) => `- ${line}`));
  if (refusal) lines.push("", "> [!CAUTION]", `> ${refusal}`);
  return lines.join("\n");
}
