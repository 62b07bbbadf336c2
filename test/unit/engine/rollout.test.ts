/**
 * The rollout after apply, against fakes of the two SDK clients it uses. moto has no instance
 * refresh (docs/emulator.md, gap 1), so the fake stands in for AWS at the SDK boundary: it
 * answers the four commands by name, as Auto Scaling and EC2 would, and replays a script of
 * refresh statuses per group. Everything above `send` is the real code.
 */
import {
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  type InstanceRefresh,
  StartInstanceRefreshCommand,
  type StartInstanceRefreshCommandInput,
} from "@aws-sdk/client-auto-scaling";
import { DescribeLaunchTemplatesCommand } from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import {
  type GroupProgress,
  healthPercentages,
  type RolloutClients,
  rollOut,
  rolloutGroups,
} from "../../../app/engine/rollout/instance-refresh";
import type { ClusterConfig } from "../../../infra/definition/config";
import { exampleConfig, listOf, synthesize } from "../../stack/helpers";

interface FakeGroup {
  desired: number;
  templateId: string;
  version: string;
  latest: number;
  mixed?: boolean;
  /** Statuses DescribeInstanceRefreshes reports, one per poll, after a start. */
  script: InstanceRefresh[];
  running?: InstanceRefresh;
}

/** Auto Scaling and EC2 as far as the rollout sees them; records every call in order. */
function fakeAws(groups: Record<string, FakeGroup>) {
  const calls: string[] = [];
  const started: StartInstanceRefreshCommandInput[] = [];
  const autoscaling = {
    async send(command: unknown) {
      if (command instanceof DescribeAutoScalingGroupsCommand) {
        const name = command.input.AutoScalingGroupNames?.[0] ?? "";
        calls.push(`describe-group ${name}`);
        const g = groups[name];
        if (!g) return { AutoScalingGroups: [] };
        const spec = { LaunchTemplateId: g.templateId, Version: g.version };
        return {
          AutoScalingGroups: [
            {
              AutoScalingGroupName: name,
              DesiredCapacity: g.desired,
              ...(g.mixed
                ? {
                    MixedInstancesPolicy: {
                      LaunchTemplate: {
                        LaunchTemplateSpecification: spec,
                        Overrides: [{ InstanceType: "t3.large" }],
                      },
                      InstancesDistribution: { OnDemandPercentageAboveBaseCapacity: 0 },
                    },
                  }
                : { LaunchTemplate: spec }),
            },
          ],
        };
      }
      if (command instanceof StartInstanceRefreshCommand) {
        const name = command.input.AutoScalingGroupName ?? "";
        calls.push(`start ${name}`);
        started.push(command.input);
        const g = groups[name];
        if (!g) throw new Error(`no group ${name}`);
        g.running = { InstanceRefreshId: `refresh-${name}`, Status: "Pending" };
        return { InstanceRefreshId: `refresh-${name}` };
      }
      if (command instanceof DescribeInstanceRefreshesCommand) {
        const name = command.input.AutoScalingGroupName ?? "";
        const g = groups[name];
        if (!g?.running) return { InstanceRefreshes: [] };
        if (command.input.InstanceRefreshIds) {
          calls.push(`poll ${name}`);
          const next = g.script.shift();
          if (next) g.running = { ...g.running, ...next };
          // A successful refresh moves the group to the desired configuration (AWS).
          if (g.running.Status === "Successful") g.version = String(g.latest);
        }
        return { InstanceRefreshes: [g.running] };
      }
      throw new Error(`unexpected command ${(command as object).constructor.name}`);
    },
  };
  const ec2 = {
    async send(command: unknown) {
      if (command instanceof DescribeLaunchTemplatesCommand) {
        const id = command.input.LaunchTemplateIds?.[0];
        const g = Object.values(groups).find((group) => group.templateId === id);
        return {
          LaunchTemplates: g ? [{ LaunchTemplateId: id, LatestVersionNumber: g.latest }] : [],
        };
      }
      throw new Error(`unexpected command ${(command as object).constructor.name}`);
    },
  };
  return { clients: { autoscaling, ec2 } as unknown as RolloutClients, calls, started };
}

const ha = exampleConfig("ha", (c) => {
  c.datastore.engine = "etcd";
  c.controlPlane.count = 3;
});
const [servers, workers] = rolloutGroups(ha).map((g) => g.name) as [string, string];

const group = (values: Partial<FakeGroup>): FakeGroup => ({
  desired: 3,
  templateId: "lt-servers",
  version: "4",
  latest: 5,
  script: [
    { Status: "InProgress", PercentageComplete: 0 },
    { Status: "InProgress", PercentageComplete: 33 },
    { Status: "Successful", PercentageComplete: 100 },
  ],
  ...values,
});

async function run(config: ClusterConfig, groups: Record<string, FakeGroup>) {
  const aws = fakeAws(groups);
  const progress: GroupProgress[] = [];
  const outcome = await rollOut(config, {
    clients: aws.clients,
    report: async (p) => {
      progress.push(p);
    },
    sleep: async () => {},
  });
  return { ...aws, progress, outcome };
}

describe("the rollout after apply", () => {
  it("names the groups the stack creates, servers first", () => {
    const json = synthesize(ha).json;
    const names = listOf(json, "aws_autoscaling_group").map((g) => g.name);
    expect(rolloutGroups(ha).map((g) => g.name)).toEqual([servers, workers]);
    expect(names.sort()).toEqual([servers, workers].sort());
  });

  it("replaces the servers, healthy, before it starts on any worker", async () => {
    const result = await run(ha, {
      [servers]: group({}),
      [workers]: group({ templateId: "lt-workers", desired: 4, version: "7", latest: 8 }),
    });
    expect(result.outcome).toEqual({ kind: "rolled", groups: ["controlPlane", "workers"] });
    const lastServerPoll = result.calls.lastIndexOf(`poll ${servers}`);
    expect(result.calls.indexOf(`start ${workers}`)).toBeGreaterThan(lastServerPoll);
    expect(result.started[0]).toMatchObject({
      AutoScalingGroupName: servers,
      Strategy: "Rolling",
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: "lt-servers", Version: "5" } },
      // 2 of 3 (66 %, rounded up) stay healthy: one etcd member out at a time, quorum kept.
      Preferences: {
        MinHealthyPercentage: 66,
        MaxHealthyPercentage: 100,
        SkipMatching: true,
        AutoRollback: true,
      },
    });
    expect(result.started[1]?.Preferences).toMatchObject({ MinHealthyPercentage: 75 });
    expect(result.progress.filter((p) => p.group === "controlPlane").map((p) => p.status)).toEqual([
      "Pending",
      "InProgress",
      "InProgress",
      "Successful",
    ]);
    expect(result.progress.at(-1)).toMatchObject({ group: "workers", percentage: 100 });
  });

  it("stops at a failed server refresh, says it rolled back, and never touches the workers", async () => {
    const result = await run(ha, {
      [servers]: group({
        script: [
          { Status: "InProgress", PercentageComplete: 0 },
          { Status: "RollbackInProgress", StatusReason: "new instance failed its health check" },
          { Status: "RollbackSuccessful", StatusReason: "new instance failed its health check" },
        ],
      }),
      [workers]: group({ templateId: "lt-workers", version: "7", latest: 8 }),
    });
    expect(result.outcome).toEqual({
      kind: "failed",
      group: "controlPlane",
      status: "RollbackSuccessful",
      reason: "new instance failed its health check",
      rolled: [],
    });
    expect(result.calls).not.toContain(`start ${workers}`);
    expect(result.progress.at(-1)?.status).toBe("RollbackSuccessful");
  });

  it("skips a group already on the latest version", async () => {
    const result = await run(ha, {
      [servers]: group({ version: "5" }),
      [workers]: group({ templateId: "lt-workers", version: "7", latest: 8 }),
    });
    expect(result.outcome).toEqual({ kind: "rolled", groups: ["workers"] });
    expect(result.calls).not.toContain(`start ${servers}`);
    const nothing = await run(ha, { [servers]: group({ version: "5" }) });
    expect(nothing.outcome).toEqual({ kind: "up-to-date" });
  });

  it("watches a refresh already running instead of starting a second one", async () => {
    const result = await run(ha, {
      [servers]: group({
        version: "5",
        running: { InstanceRefreshId: "refresh-earlier", Status: "InProgress" },
        script: [{ Status: "Successful", PercentageComplete: 100 }],
      }),
    });
    expect(result.calls).not.toContain(`start ${servers}`);
    expect(result.outcome).toEqual({ kind: "rolled", groups: ["controlPlane"] });
  });

  it("refuses to replace a single embedded-etcd server, and so the workers, naming the field", async () => {
    const single = exampleConfig("dev", (c) => {
      c.datastore.engine = "etcd";
    });
    const [one, two] = rolloutGroups(single).map((g) => g.name) as [string, string];
    const result = await run(single, {
      [one]: group({ desired: 1 }),
      [two]: group({ templateId: "lt-workers", version: "7", latest: 8 }),
    });
    expect(result.outcome.kind).toBe("refused");
    if (result.outcome.kind === "refused")
      expect(result.outcome.reason).toContain("`controlPlane.count: 1`");
    expect(result.calls.filter((c) => c.startsWith("start"))).toEqual([]);
  });

  it("keeps Spot workers' mixed-instances policy, moving only the template version", async () => {
    const result = await run(ha, {
      [workers]: group({ templateId: "lt-workers", version: "7", latest: 8, mixed: true }),
    });
    expect(result.started[0]?.DesiredConfiguration).toEqual({
      MixedInstancesPolicy: {
        LaunchTemplate: {
          LaunchTemplateSpecification: { LaunchTemplateId: "lt-workers", Version: "8" },
          Overrides: [{ InstanceType: "t3.large" }],
        },
        InstancesDistribution: { OnDemandPercentageAboveBaseCapacity: 0 },
      },
    });
  });
});

describe("healthy percentages", () => {
  it("replace one node at a time, launching first when there is only one", () => {
    for (const desired of [2, 3, 4, 7, 12]) {
      const { min, max } = healthPercentages(desired);
      // Healthy instances kept = min % of desired, rounded up (AWS): exactly desired - 1.
      expect(Math.ceil((desired * min) / 100)).toBe(desired - 1);
      expect(max).toBe(100);
    }
    expect(healthPercentages(1)).toEqual({ min: 100, max: 200 });
  });
});
