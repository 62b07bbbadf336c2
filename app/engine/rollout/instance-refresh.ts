/**
 * The rollout after an apply: each node group whose Auto Scaling group still launches an older
 * version of its launch template than the template's latest gets an instance refresh, servers
 * first, then workers, one at a time, each watched until it ends. Terraform never starts a
 * refresh (the groups carry no `instance_refresh` block and ignore their template version), so
 * the order is ours and the outcome is reported, not guessed.
 *
 * Facts this relies on (Amazon EC2 Auto Scaling API Reference):
 * - StartInstanceRefresh, DesiredConfiguration: "Once the instance refresh succeeds, Amazon EC2
 *   Auto Scaling updates the settings of the Auto Scaling group to reflect the new desired
 *   configuration." So the group moves to the new version only when its nodes did; a failed
 *   refresh leaves it (and every later launch) on the version that worked.
 * - RefreshPreferences.AutoRollback: on failure the group is rolled back to the configuration it
 *   had before. Not available when the launch template's image is an SSM parameter or the group
 *   uses `$Latest`/`$Default` (RollbackInstanceRefresh, "A rollback is not supported in the
 *   following situations"): images are literal AMI ids (app/engine/plan/images.ts) and groups
 *   name a numbered version.
 * - RefreshPreferences.MinHealthyPercentage is a percentage of the desired capacity "rounded up
 *   to the nearest integer" (RefreshPreferences, older API reference text); MaxHealthyPercentage
 *   ranges 100-200 and may exceed MinHealthyPercentage by at most 100 (InstanceMaintenancePolicy).
 * - DescribeInstanceRefreshes Status: Pending, InProgress, Successful, Failed, Cancelling,
 *   Cancelled, RollbackInProgress, RollbackFailed, RollbackSuccessful, Baking.
 *
 * Runs outside the Terraform run queue: polling for half an hour never blocks another plan.
 */
import {
  type AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  type DesiredConfiguration,
  type InstanceRefresh,
  StartInstanceRefreshCommand,
} from "@aws-sdk/client-auto-scaling";
import { DescribeLaunchTemplatesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import type { ClusterConfig } from "../../../infra/definition/config";
import { workerGroupNames } from "../../../infra/naming";
import type { NodeGroup } from "../plan/images";
import { singleEtcdServerRefusal } from "../plan/rollout";

/** The two SDK clients the rollout uses; tests pass fakes of `send`. */
export interface RolloutClients {
  autoscaling: Pick<AutoScalingClient, "send">;
  ec2: Pick<EC2Client, "send">;
}

export interface GroupProgress {
  group: NodeGroup;
  autoScalingGroup: string;
  status: string;
  percentage?: number;
  instancesToUpdate?: number;
  reason?: string;
}

export type RolloutOutcome =
  | { kind: "up-to-date" }
  | { kind: "rolled"; groups: NodeGroup[] }
  | { kind: "refused"; reason: string }
  /** A group's refresh did not succeed; later groups were not started. */
  | { kind: "failed"; group: NodeGroup; status: string; reason: string; rolled: NodeGroup[] };

export interface RolloutOptions {
  clients: RolloutClients;
  /** Called at the start, on every status change and at the end of each group. */
  report: (progress: GroupProgress) => Promise<void>;
  pollSeconds?: number;
  /** Gives up watching (the refresh goes on in AWS) after this long per group. */
  timeoutMinutes?: number;
  sleep?: (ms: number) => Promise<void>;
}

const ENDED = new Set([
  "Successful",
  "Failed",
  "Cancelled",
  "RollbackFailed",
  "RollbackSuccessful",
]);
const RUNNING = new Set(["Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking"]);

/** The Auto Scaling group names, in rollout order (servers before workers). */
export function rolloutGroups(config: ClusterConfig): { group: NodeGroup; name: string }[] {
  return [
    { group: "controlPlane", name: `${config.name}-control-plane` },
    { group: "workers", name: workerGroupNames(config).autoScalingGroup },
  ];
}

/**
 * One node at a time. With two or more nodes, one is taken out and replaced while the rest keep
 * serving: for 3 servers 66 % (2 of 3, rounded up) stay healthy, so an embedded-etcd cluster
 * loses at most one member at a time and keeps its quorum of 2. With a single node the new one
 * is launched first (100-200 %), so the group never drops to zero.
 */
export function healthPercentages(desired: number): { min: number; max: number } {
  if (desired <= 1) return { min: 100, max: 200 };
  return { min: Math.floor((100 * (desired - 1)) / desired), max: 100 };
}

interface GroupState {
  desired: number;
  templateId: string;
  version: string;
  desiredConfiguration: (version: string) => DesiredConfiguration;
}

async function groupState(clients: RolloutClients, name: string): Promise<GroupState | undefined> {
  const described = await clients.autoscaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
  );
  const group = described.AutoScalingGroups?.[0];
  if (!group) return undefined;
  const mixed = group.MixedInstancesPolicy;
  const spec = group.LaunchTemplate ?? mixed?.LaunchTemplate?.LaunchTemplateSpecification;
  if (!spec?.LaunchTemplateId || !spec.Version) return undefined;
  const templateId = spec.LaunchTemplateId;
  return {
    desired: group.DesiredCapacity ?? 0,
    templateId,
    version: spec.Version,
    desiredConfiguration: (version) =>
      mixed
        ? {
            MixedInstancesPolicy: {
              ...mixed,
              LaunchTemplate: {
                ...mixed.LaunchTemplate,
                LaunchTemplateSpecification: { LaunchTemplateId: templateId, Version: version },
              },
            },
          }
        : { LaunchTemplate: { LaunchTemplateId: templateId, Version: version } },
  };
}

async function latestVersion(clients: RolloutClients, templateId: string): Promise<string> {
  const described = await clients.ec2.send(
    new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [templateId] }),
  );
  const latest = described.LaunchTemplates?.[0]?.LatestVersionNumber;
  if (latest === undefined) throw new Error(`launch template ${templateId} not found`);
  return String(latest);
}

async function refreshes(clients: RolloutClients, name: string, ids?: string[]) {
  const described = await clients.autoscaling.send(
    new DescribeInstanceRefreshesCommand({
      AutoScalingGroupName: name,
      ...(ids ? { InstanceRefreshIds: ids } : {}),
    }),
  );
  return described.InstanceRefreshes ?? [];
}

const progressOf = (
  group: NodeGroup,
  name: string,
  refresh: InstanceRefresh | undefined,
): GroupProgress => ({
  group,
  autoScalingGroup: name,
  status: refresh?.Status ?? "Pending",
  ...(refresh?.PercentageComplete !== undefined ? { percentage: refresh.PercentageComplete } : {}),
  ...(refresh?.InstancesToUpdate !== undefined
    ? { instancesToUpdate: refresh.InstancesToUpdate }
    : {}),
  ...(refresh?.StatusReason ? { reason: refresh.StatusReason } : {}),
});

/** Rolls the node groups that launch an older template version than the latest, in order. */
export async function rollOut(
  config: ClusterConfig,
  options: RolloutOptions,
): Promise<RolloutOutcome> {
  const { clients, report } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const pollMs = (options.pollSeconds ?? 30) * 1000;
  const deadlineMs = (options.timeoutMinutes ?? 120) * 60_000;
  const rolled: NodeGroup[] = [];
  for (const { group, name } of rolloutGroups(config)) {
    const state = await groupState(clients, name);
    if (!state) continue;
    // A refresh already running (an earlier apply, a redelivered event) is watched, not doubled.
    let running = (await refreshes(clients, name)).find((r) => RUNNING.has(r.Status ?? ""));
    if (!running) {
      const latest = await latestVersion(clients, state.templateId);
      if (state.version === latest) continue;
      if (group === "controlPlane") {
        const refusal = singleEtcdServerRefusal(config);
        // Workers wait too: they must not run a newer k3s than the servers.
        if (refusal) return { kind: "refused", reason: refusal };
      }
      const { min, max } = healthPercentages(state.desired);
      const started = await clients.autoscaling.send(
        new StartInstanceRefreshCommand({
          AutoScalingGroupName: name,
          Strategy: "Rolling",
          DesiredConfiguration: state.desiredConfiguration(latest),
          Preferences: {
            MinHealthyPercentage: min,
            MaxHealthyPercentage: max,
            SkipMatching: true,
            AutoRollback: true,
          },
        }),
      );
      running = { InstanceRefreshId: started.InstanceRefreshId, Status: "Pending" };
    }
    const id = running.InstanceRefreshId;
    if (!id) throw new Error(`instance refresh of ${name} has no id`);
    await report(progressOf(group, name, running));
    let last = running;
    const startedAt = Date.now();
    while (!ENDED.has(last.Status ?? "")) {
      if (Date.now() - startedAt > deadlineMs) {
        return {
          kind: "failed",
          group,
          status: last.Status ?? "unknown",
          reason: `still ${last.Status} after ${options.timeoutMinutes ?? 120} minutes; it goes on in AWS (instance refresh ${id} of ${name})`,
          rolled,
        };
      }
      await sleep(pollMs);
      const [now] = await refreshes(clients, name, [id]);
      if (!now) throw new Error(`instance refresh ${id} of ${name} disappeared`);
      const changed =
        now.Status !== last.Status || now.PercentageComplete !== last.PercentageComplete;
      last = now;
      if (changed) await report(progressOf(group, name, now));
    }
    if (last.Status !== "Successful") {
      return {
        kind: "failed",
        group,
        status: last.Status ?? "unknown",
        reason: last.StatusReason ?? "no reason given",
        rolled,
      };
    }
    rolled.push(group);
  }
  return rolled.length === 0 ? { kind: "up-to-date" } : { kind: "rolled", groups: rolled };
}
