/**
 * `k3s-bot restore` against the emulator where it can answer: the control-plane group and its
 * instances (Auto Scaling), the snapshot object (S3), and holding and resuming the group's
 * processes. SSM Run Command stays faked at the SDK client boundary: the emulator records
 * SendCommand but runs nothing on any instance, so the fake answers as the servers' script
 * would (test/bootstrap/etcd-restore.test.ts runs that script).
 */
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
} from "@aws-sdk/client-auto-scaling";
import {
  CreateLaunchTemplateCommand,
  DescribeImagesCommand,
  DescribeSubnetsCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadDefinition } from "../../app/engine/definitions/load";
import {
  executeRestore,
  prepareRestore,
  type RestoreClients,
  RestoreFailed,
} from "../../app/engine/etcd-restore/restore";
import { type Emulator, emulatorAwsClientConfig, startEmulator } from "../../app/local/emulator";
import type { ClusterConfig } from "../../infra/definition/config";
import { PROD_ETCD, RESTORE_BUCKET, RESTORE_SNAPSHOT } from "../support/restore-cluster";

const BUCKET = RESTORE_BUCKET;
const SNAPSHOT = RESTORE_SNAPSHOT;
const DEFINITION = PROD_ETCD;

let emulator: Emulator;
let autoscaling: AutoScalingClient;
let ec2: EC2Client;
let s3: S3Client;
let config: ClusterConfig;

beforeAll(async () => {
  emulator = await startEmulator();
  const aws = emulatorAwsClientConfig(emulator.url);
  autoscaling = new AutoScalingClient(aws);
  ec2 = new EC2Client(aws);
  s3 = new S3Client(aws);
  const loaded = loadDefinition(DEFINITION, "clusters/prod.yaml");
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  config = loaded.config;
});
afterAll(async () => {
  for (const client of [autoscaling, ec2, s3]) client?.destroy();
  await emulator?.stop();
});

/** The control-plane group as the stack names it, with three servers, and the bucket. */
beforeEach(async () => {
  await emulator.reset();
  const [image] = (await ec2.send(new DescribeImagesCommand({}))).Images ?? [];
  const [subnet] = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
  await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: "prod-control-plane",
      LaunchTemplateData: { ImageId: image?.ImageId, InstanceType: "t3.medium" },
    }),
  );
  await autoscaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: "prod-control-plane",
      LaunchTemplate: { LaunchTemplateName: "prod-control-plane", Version: "$Latest" },
      MinSize: 3,
      MaxSize: 3,
      DesiredCapacity: 3,
      VPCZoneIdentifier: subnet?.SubnetId,
    }),
  );
  await s3.send(
    new CreateBucketCommand({
      Bucket: BUCKET,
      CreateBucketConfiguration: { LocationConstraint: "eu-central-1" },
    }),
  );
  for (const key of [`etcd-snapshots/${SNAPSHOT}`, `etcd-snapshots/.metadata/${SNAPSHOT}`])
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: "snapshot" }));
});

/** SSM as the servers' script answers; `failing` steps fail. */
function fakeSsm(failing: string[] = []) {
  const sent: { step: string; instances: string[] }[] = [];
  const commands = new Map<string, { step: string; first: string }>();
  interface Input {
    Parameters: { commands: string[] };
    InstanceIds: string[];
    CommandId: string;
    InstanceId: string;
  }
  const send = async (command: { constructor: { name: string }; input: Input }) => {
    const { input } = command;
    if (command.constructor.name === "SendCommandCommand") {
      const step = (input.Parameters.commands[0] ?? "").split(" ").slice(1).join(" ");
      const id = `command-${sent.length + 1}`;
      sent.push({ step, instances: input.InstanceIds });
      commands.set(id, { step, first: input.InstanceIds[0] ?? "" });
      return { Command: { CommandId: id } };
    }
    const { step, first } = commands.get(input.CommandId) ?? { step: "", first: "" };
    if (failing.includes(step.split(" ")[0] ?? ""))
      return { Status: "Failed", StandardErrorContent: "k3s-bot: FATAL: it broke" };
    const role = input.InstanceId === first ? "first" : "joining";
    return {
      Status: "Success",
      StandardOutputContent:
        step === "check" ? `role=${role}\nbucket=${BUCKET}\nfolder=etcd-snapshots\n` : "",
    };
  };
  return { sent, ssm: { send } as unknown as RestoreClients["ssm"] };
}

const timing = { pollMs: 1, sleep: async () => {} };
const suspended = async () =>
  (
    (
      await autoscaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ["prod-control-plane"] }),
      )
    ).AutoScalingGroups?.[0]?.SuspendedProcesses ?? []
  )
    .map((p) => p.ProcessName)
    .sort();

describe("k3s-bot restore against the emulator", () => {
  it("finds the group's three servers and the snapshot, and plans the restore on them", async () => {
    const { ssm, sent } = fakeSsm();
    const group = (
      await autoscaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ["prod-control-plane"] }),
      )
    ).AutoScalingGroups?.[0];
    const ids = (group?.Instances ?? []).map((i) => i.InstanceId).sort();
    expect(ids).toHaveLength(3);
    const plan = await prepareRestore(config, SNAPSHOT, { autoscaling, s3, ssm }, timing);
    expect(sent).toEqual([{ step: "check", instances: ids }]);
    expect([plan.target, ...plan.others].sort()).toEqual(ids);
    expect(plan.bucket).toBe(BUCKET);
    expect(plan.hold).toEqual([
      "HealthCheck",
      "ReplaceUnhealthy",
      "AZRebalance",
      "InstanceRefresh",
    ]);
  });

  it("refuses a snapshot the bucket does not hold, naming the one it does", async () => {
    const { ssm } = fakeSsm();
    await expect(
      prepareRestore(config, "etcd-snapshot-gone-1", { autoscaling, s3, ssm }, timing),
    ).rejects.toThrow(
      new RegExp(
        `no snapshot etcd-snapshot-gone-1 in s3://${BUCKET}/etcd-snapshots/; nothing was changed\\. The newest there:\\n {2}${SNAPSHOT} `,
      ),
    );
  });

  it("holds the group's processes while k3s is down and resumes them at the end", async () => {
    const { ssm, sent } = fakeSsm();
    const plan = await prepareRestore(config, SNAPSHOT, { autoscaling, s3, ssm }, timing);
    await executeRestore(plan, { autoscaling, s3, ssm }, { progress: () => {} }, timing);
    expect(sent.map((s) => s.step)).toEqual([
      "check",
      "stop",
      `reset ${SNAPSHOT}`,
      "rejoin",
      "rejoin",
    ]);
    expect(await suspended()).toEqual([]);
  });

  it("after a failed reset the group stays held, so it does not replace half-restored servers", async () => {
    const { ssm } = fakeSsm(["reset"]);
    const plan = await prepareRestore(config, SNAPSHOT, { autoscaling, s3, ssm }, timing);
    await expect(
      executeRestore(plan, { autoscaling, s3, ssm }, { progress: () => {} }, timing),
    ).rejects.toBeInstanceOf(RestoreFailed);
    expect(await suspended()).toEqual([
      "AZRebalance",
      "HealthCheck",
      "InstanceRefresh",
      "ReplaceUnhealthy",
    ]);
  });
});
