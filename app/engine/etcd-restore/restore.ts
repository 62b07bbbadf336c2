/**
 * Restoring a chosen etcd snapshot on a running embedded-etcd cluster (`k3s-bot restore`,
 * docs/backups.md): k3s' procedure for several servers, carried out on the cluster's servers
 * through SSM Run Command, one step at a time, each step's result awaited on every server
 * before the next, and stopped at the first failure with what state the cluster is in.
 *
 * prepareRestore only reads (the control-plane group, a read-only `check` on each server, the
 * snapshot object); executeRestore changes the cluster. The server-side steps live in
 * infra/bootstrap/scripts/etcd-restore.sh, shipped with the bootstrap.
 */
import {
  type AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  ResumeProcessesCommand,
  SuspendProcessesCommand,
} from "@aws-sdk/client-auto-scaling";
import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { controlPlaneGroupName } from "../../../infra/compute";
import type { ClusterConfig } from "../../../infra/definition/config";
import { RESTORE_SCRIPT, type RunOptions, runStep, type StepResult } from "./run-command";

/** Names k3s gives snapshots; the same rule as the server-side script's. */
export const SNAPSHOT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Processes of the control-plane group held while k3s is down on the servers: its health check
 * is the API load balancer's, which fails while k3s is stopped, and the group would replace
 * every server mid-restore (SuspendProcesses; Amazon EC2 Auto Scaling User Guide, "Suspend and
 * resume Amazon EC2 Auto Scaling processes").
 */
export const HELD_PROCESSES = ["HealthCheck", "ReplaceUnhealthy", "AZRebalance", "InstanceRefresh"];

/** A refusal before anything changed: printed as is. */
export class RestoreRefused extends Error {}
/** A step failed after the restore started: the message says the cluster's state. */
export class RestoreFailed extends Error {}

export interface RestoreClients {
  autoscaling: Pick<AutoScalingClient, "send">;
  ssm: Pick<SSMClient, "send">;
  s3: Pick<S3Client, "send">;
}

export interface RestorePlan {
  cluster: string;
  group: string;
  snapshot: string;
  bucket: string;
  folder: string;
  /** The server that restores the snapshot: the one that does not join through --server. */
  target: string;
  /** The servers that drop their database and join the restored one, one at a time. */
  others: string[];
  /** Processes to hold during the restore (those not already suspended by someone else). */
  hold: string[];
  unhealthy: string[];
}

export interface StepTiming {
  /** Bound of each server-side step (the script waits at most 15 minutes for k3s to be ready). */
  executionTimeoutSeconds?: number;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

function runOptions(timing: StepTiming): RunOptions {
  return {
    executionTimeoutSeconds: timing.executionTimeoutSeconds ?? 1800,
    ...(timing.pollMs !== undefined ? { pollMs: timing.pollMs } : {}),
    ...(timing.sleep ? { sleep: timing.sleep } : {}),
  };
}

function failedOn(results: StepResult[]): StepResult[] {
  return results.filter((r) => !r.ok);
}

function describeFailures(results: StepResult[]): string {
  return failedOn(results)
    .map((r) => {
      const output = `${r.stderr}${r.stdout}`.trim().split("\n").slice(-8).join("\n    ");
      return `  ${r.instanceId}: ${r.status}${output ? `\n    ${output}` : ""}`;
    })
    .join("\n");
}

/** Reads everything the restore needs and refuses what it must not do. Changes nothing. */
export async function prepareRestore(
  config: ClusterConfig,
  snapshot: string,
  clients: RestoreClients,
  timing: StepTiming = {},
): Promise<RestorePlan> {
  if (config.datastore.engine !== "etcd")
    throw new RestoreRefused(
      `${config.name} keeps its state in PostgreSQL (RDS), not embedded etcd: restore the database from an RDS snapshot with datastore.restoreFromSnapshot instead (docs/backups.md, "PostgreSQL (RDS)")`,
    );
  if (!SNAPSHOT_NAME.test(snapshot))
    throw new RestoreRefused(
      `--snapshot ${JSON.stringify(snapshot)} is not a snapshot name (letters, digits, ".", "_" and "-", as k3s names them, e.g. etcd-snapshot-ip-10-0-1-10-1764392402)`,
    );
  const group = controlPlaneGroupName(config);
  const found = await clients.autoscaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }),
  );
  const asg = found.AutoScalingGroups?.[0];
  if (!asg)
    throw new RestoreRefused(
      `no Auto Scaling group ${group} in ${config.region}: is ${config.name} applied in this account (check your AWS credentials)?`,
    );
  const instances = asg.Instances ?? [];
  const changing = instances.filter((i) => i.LifecycleState !== "InService");
  if (changing.length > 0)
    throw new RestoreRefused(
      `the control-plane group ${group} is changing (${changing.map((i) => `${i.InstanceId} ${i.LifecycleState}`).join(", ")}): wait until every server is InService, then run restore again`,
    );
  const servers = instances.flatMap((i) => (i.InstanceId ? [i.InstanceId] : [])).sort();
  if (servers.length === 0)
    throw new RestoreRefused(
      `no server of ${config.name} is running (group ${group} has no instance in service): with none left, the group's next server restores the newest snapshot by itself (docs/backups.md); restore a chosen one when a server runs`,
    );

  // Read-only on each server: which one restores, and the bucket its k3s restores from.
  const checks = await runStep(clients.ssm, servers, ["check"], runOptions(timing));
  if (failedOn(checks).length > 0)
    throw new RestoreRefused(
      `could not check the servers through SSM (${RESTORE_SCRIPT} check); nothing was changed:\n${describeFailures(checks)}`,
    );
  const facts = checks.map((c) => ({ instanceId: c.instanceId, ...parseCheck(c.stdout) }));
  const places = new Set(facts.map((f) => `${f.bucket}/${f.folder}`));
  if (places.size !== 1 || facts.some((f) => !f.bucket || !f.folder))
    throw new RestoreRefused(
      `the servers do not agree on where the snapshots are (${facts.map((f) => `${f.instanceId}: s3://${f.bucket}/${f.folder}`).join(", ")}); nothing was changed`,
    );
  const first = facts.filter((f) => f.role === "first");
  if (first.length > 1)
    throw new RestoreRefused(
      `more than one server (${first.map((f) => f.instanceId).join(", ")}) has no --server to join through; restoring one would leave the other to start an empty cluster. Replace all but one of them first; nothing was changed`,
    );
  const target = first[0]?.instanceId ?? servers[0];
  const { bucket, folder } = facts[0] as { bucket: string; folder: string };
  await requireSnapshot(clients.s3, bucket, folder, snapshot);

  const suspended = new Set((asg.SuspendedProcesses ?? []).map((p) => p.ProcessName));
  return {
    cluster: config.name,
    group,
    snapshot,
    bucket,
    folder,
    target: target as string,
    others: servers.filter((id) => id !== target),
    hold: HELD_PROCESSES.filter((p) => !suspended.has(p)),
    unhealthy: instances
      .filter((i) => i.HealthStatus === "Unhealthy")
      .map((i) => i.InstanceId ?? ""),
  };
}

function parseCheck(stdout: string): { role?: string; bucket?: string; folder?: string } {
  const values: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const match = /^(role|bucket|folder)=(.*)$/.exec(line.trim());
    if (match) values[match[1] as string] = match[2] as string;
  }
  return values;
}

/** The snapshot must be directly in the folder, where k3s downloads it from by name. */
async function requireSnapshot(
  s3: Pick<S3Client, "send">,
  bucket: string,
  folder: string,
  snapshot: string,
): Promise<void> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${folder}/${snapshot}` }));
    return;
  } catch (error) {
    const name = (error as Error).name;
    if (name !== "NotFound" && name !== "NoSuchKey") throw error;
  }
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${folder}/` }));
  const newest = (listed.Contents ?? [])
    .filter((o) => o.Key && !o.Key.slice(folder.length + 1).includes("/"))
    .sort((a, b) => (b.LastModified?.getTime() ?? 0) - (a.LastModified?.getTime() ?? 0))
    .slice(0, 10)
    .map((o) => `  ${o.Key?.slice(folder.length + 1)}  (${o.LastModified?.toISOString()})`);
  throw new RestoreRefused(
    `no snapshot ${snapshot} in s3://${bucket}/${folder}/; nothing was changed. ${newest.length ? `The newest there:\n${newest.join("\n")}` : "The folder holds no snapshot."}`,
  );
}

/** The steps, in order, as the operator reviews them before --yes. */
export function describePlan(plan: RestorePlan): string {
  const lines = [
    `Restore ${plan.cluster} to etcd snapshot ${plan.snapshot} (s3://${plan.bucket}/${plan.folder}/${plan.snapshot}).`,
    "Everything written to the cluster after that snapshot is lost; the API is down from step 2 until step 4 ends.",
    "",
    plan.hold.length
      ? `1. Hold ${plan.hold.join(", ")} of the group ${plan.group}, so that it does not replace servers whose k3s is stopped.`
      : `1. (${HELD_PROCESSES.join(", ")} of ${plan.group} are already suspended; left as they are.)`,
    `2. Stop k3s on every server: ${[plan.target, ...plan.others].join(", ")} (each takes a pre-stop snapshot of the current state first).`,
    `3. On ${plan.target}: k3s --cluster-reset --cluster-reset-restore-path=${plan.snapshot}, then start k3s and wait until it is ready.`,
  ];
  if (plan.others.length)
    lines.push(
      `4. On ${plan.others.join(", then ")}, one at a time: move the etcd database aside, start k3s and wait until it has joined.`,
    );
  else lines.push("4. (No other server to rejoin.)");
  lines.push(
    plan.hold.length
      ? `5. Resume ${plan.hold.join(", ")} of ${plan.group}.`
      : "5. (Nothing to resume.)",
  );
  if (plan.unhealthy.length)
    lines.push(
      "",
      `Note: the group marks ${plan.unhealthy.join(", ")} unhealthy; with ReplaceUnhealthy held it stays during the restore.`,
    );
  return `${lines.join("\n")}\n`;
}

export interface RestoreIo {
  progress: (text: string) => void;
}

/** Carries out the plan; throws RestoreFailed at the first failed step, saying what is left. */
export async function executeRestore(
  plan: RestorePlan,
  clients: RestoreClients,
  io: RestoreIo,
  timing: StepTiming = {},
): Promise<void> {
  const options = runOptions(timing);
  const servers = [plan.target, ...plan.others];
  const held = plan.hold.length
    ? `The group ${plan.group} still holds ${plan.hold.join(", ")}: resume them once the servers are healthy (aws autoscaling resume-processes --auto-scaling-group-name ${plan.group} --scaling-processes ${plan.hold.join(" ")}), or the group goes on not replacing unhealthy servers.`
    : "";
  const stop = (state: string, todo: string, results: StepResult[]) =>
    new RestoreFailed(
      [
        `restore of ${plan.cluster} to ${plan.snapshot} stopped:`,
        describeFailures(results),
        "",
        `State: ${state}`,
        `To do: ${todo}`,
        held,
      ]
        .filter((l) => l !== "")
        .join("\n"),
    );

  if (plan.hold.length) {
    await clients.autoscaling.send(
      new SuspendProcessesCommand({
        AutoScalingGroupName: plan.group,
        ScalingProcesses: plan.hold,
      }),
    );
    io.progress(`1. held ${plan.hold.join(", ")} of ${plan.group}\n`);
  }

  io.progress(`2. stopping k3s on ${servers.join(", ")} …\n`);
  const stopped = await runStep(clients.ssm, servers, ["stop"], options);
  if (failedOn(stopped).length > 0) {
    const down = stopped.filter((r) => r.ok).map((r) => r.instanceId);
    throw stop(
      `k3s is stopped on ${down.length ? down.join(", ") : "no server"} and may still run on the others; no snapshot was restored.`,
      `fix what the failing servers report and run restore again, or start k3s again where it stopped (sudo systemctl start k3s through SSM Session Manager) to go back to the state before.`,
      stopped,
    );
  }

  io.progress(`3. restoring ${plan.snapshot} on ${plan.target} …\n`);
  const [reset] = await runStep(clients.ssm, [plan.target], ["reset", plan.snapshot], options);
  if (!reset?.ok)
    throw stop(
      `k3s is stopped on every server (${servers.join(", ")}); ${plan.target} may hold a partly restored database. The cluster's API is down.`,
      `fix what ${plan.target} reports and run restore again (with this or another snapshot: every server took a pre-stop snapshot of the state before, listed by \`aws s3 ls s3://${plan.bucket}/${plan.folder}/\`).`,
      reset ? [reset] : [],
    );

  const joined: string[] = [];
  for (const server of plan.others) {
    io.progress(`4. ${server} rejoins …\n`);
    const [rejoin] = await runStep(clients.ssm, [server], ["rejoin"], options);
    if (!rejoin?.ok) {
      const waiting = plan.others.filter((s) => s !== server && !joined.includes(s));
      throw stop(
        `${plan.target} runs the restored cluster${joined.length ? ` with ${joined.join(", ")}` : ""}; ${server} failed to rejoin (its old database is in /var/lib/rancher/k3s/server/db.before-restore)${waiting.length ? `; k3s is still stopped on ${waiting.join(", ")}` : ""}.`,
        `the API answers from the restored state. Fix ${server} and run on it, through SSM, \`${RESTORE_SCRIPT} rejoin\`${waiting.length ? `, then the same on ${waiting.join(", ")}` : ""}; or replace the server (the group's new server joins by itself).`,
        [rejoin ?? { instanceId: server, ok: false, status: "no result", stdout: "", stderr: "" }],
      );
    }
    joined.push(server);
  }

  if (plan.hold.length) {
    await clients.autoscaling.send(
      new ResumeProcessesCommand({ AutoScalingGroupName: plan.group, ScalingProcesses: plan.hold }),
    );
    io.progress(`5. resumed ${plan.hold.join(", ")} of ${plan.group}\n`);
  }
}
