// The whole stack of an example cluster, for real, against the emulator: bootstrap the state
// backend, init with the S3 backend, plan, apply, check through the AWS SDK what exists, plan
// again (must be empty), destroy, check that nothing is left. Shared by one test file per
// example so that vitest runs them side by side.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeLifecycleHooksCommand,
  DescribePoliciesCommand,
} from "@aws-sdk/client-auto-scaling";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import {
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  EFSClient,
} from "@aws-sdk/client-efs";
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
} from "@aws-sdk/client-iam";
import { DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDefinitionFile } from "../../app/engine/definitions/load";
import { ensureStateBackend } from "../../app/engine/state-backend";
import { TerraformRunner } from "../../app/engine/terraform/runner";
import {
  type Emulator,
  emulatorAwsClientConfig,
  emulatorBackendSettings,
  emulatorProviderSettings,
  startEmulator,
} from "../../app/local/emulator";
import {
  applyEmulatorWorkarounds,
  dropTlsOnlyBucketPolicy,
} from "../../app/local/emulator-overrides";
import type { ClusterConfig } from "../../infra/definition/config";
import { countResources, synthesizeCluster } from "../../infra/synth";

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples", "clusters");
/** Where Argo CD would read the cluster's manifests; the definition does not say. */
const GITOPS = {
  repoUrl: "https://github.com/acme/platform.git",
  path: "clusters/example/argocd",
  revision: "main",
};

type Outputs = Record<string, { value: unknown }>;

export function describeClusterLifecycle(example: "dev" | "ha"): void {
  describe.sequential(`the ${example} example against the emulator`, () => {
    const loaded = loadDefinitionFile(join(EXAMPLES, `${example}.yaml`));
    if (!loaded.ok) throw new Error(`examples/clusters/${example}.yaml does not load`);
    const config: ClusterConfig = loaded.config;

    let emulator: Emulator;
    let workDir: string;
    let terraform: TerraformRunner;
    let aws: ReturnType<typeof sdkClients>;
    let outputs: Outputs;
    let resourceCount = 0;
    const measured: Record<string, string> = {};

    /** Synthesizes the stack for `definition` into the working directory. */
    const writeStack = async (definition: ClusterConfig): Promise<number> => {
      const json = synthesizeCluster(
        definition,
        {
          providerOverrides: emulatorProviderSettings(emulator.url),
          backend: { kind: "s3", overrides: emulatorBackendSettings(emulator.url) },
          bootstrap: { gitops: GITOPS },
        },
        (stack) => {
          applyEmulatorWorkarounds(stack);
        },
      );
      await writeFile(join(workDir, "main.tf.json"), JSON.stringify(json, null, 2));
      return countResources(json);
    };

    beforeAll(async () => {
      emulator = await startEmulator({ region: config.region });
      aws = sdkClients(emulator.url, config.region);
      const state = sdkClients(emulator.url, config.state.region);
      const started = Date.now();
      await ensureStateBackend(
        {
          bucket: config.state.bucket,
          lockTable: config.state.lockTable,
          region: config.state.region,
        },
        { s3: state.s3, dynamodb: state.dynamodb, sts: state.sts },
      );
      await dropTlsOnlyBucketPolicy(state.s3, config.state.bucket);
      measured.bootstrap = seconds(started);

      workDir = await mkdtemp(join(tmpdir(), `k3s-bot-e2e-${example}-`));
      resourceCount = await writeStack(config);
      terraform = new TerraformRunner(workDir, {
        env: { AWS_EC2_METADATA_DISABLED: "true" },
        timeoutMs: 15 * 60_000,
      });
    }, 120_000);

    afterAll(async () => {
      await emulator?.stop();
      if (workDir) await rm(workDir, { recursive: true, force: true });
      console.info(
        `${example}: ${resourceCount} resources; ${Object.entries(measured)
          .map(([what, value]) => `${what} ${value}`)
          .join(", ")}`,
      );
    });

    it(
      "applies",
      async () => {
        await terraform.init();
        let started = Date.now();
        const plan = await terraform.plan("emulator.tfplan");
        expect(plan.hasChanges).toBe(true);
        measured.plan = seconds(started);
        started = Date.now();
        const peak = await withPeakMemory(
          () => terraform.apply("emulator.tfplan"),
          emulator.processGroup,
        );
        measured.apply = seconds(started);
        measured["apply peak memory"] = `${Math.round(peak / 1024)} MiB`;
        outputs = await terraform.outputs();
      },
      15 * 60_000,
    );

    it(
      "plans no change right after the apply",
      async () => {
        const again = await terraform.plan("again.tfplan");
        const changes = again.hasChanges ? await terraform.showText("again.tfplan") : "";
        expect(changes).toBe("");
      },
      5 * 60_000,
    );

    it("keeps its state in the S3 bucket under the cluster's key", async () => {
      const object = await aws.stateS3.send(
        new GetObjectCommand({ Bucket: config.state.bucket, Key: config.state.key }),
      );
      const state = JSON.parse((await object.Body?.transformToString()) ?? "{}");
      expect(state.resources.length).toBeGreaterThanOrEqual(resourceCount);
    });

    it("has public, private and database subnets in every zone", async () => {
      const vpcId = String(outputs.vpc_id?.value);
      const subnets =
        (
          await aws.ec2.send(
            new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }),
          )
        ).Subnets ?? [];
      const byCidr = new Map(subnets.map((s) => [s.CidrBlock, s]));
      const { availabilityZones, subnets: planned } = config.network;
      for (const tier of ["public", "private", "database"] as const) {
        planned[tier].forEach((cidr, index) => {
          expect(byCidr.get(cidr)?.AvailabilityZone, `${tier} ${cidr}`).toBe(
            availabilityZones[index],
          );
        });
      }
      expect(subnets).toHaveLength(3 * availabilityZones.length);
    });

    it("opens the API to the admin CIDRs and the database to the servers only", async () => {
      const vpcId = String(outputs.vpc_id?.value);
      const rules =
        (
          await aws.ec2.send(
            new DescribeSecurityGroupRulesCommand({
              Filters: [{ Name: "group-id", Values: await groupIds(aws.ec2, vpcId) }],
            }),
          )
        ).SecurityGroupRules ?? [];
      const ingress = rules.filter((rule) => !rule.IsEgress);
      const apiFromAdmins = ingress
        .filter((rule) => rule.FromPort === 6443 && rule.CidrIpv4)
        .map((rule) => rule.CidrIpv4);
      for (const cidr of config.network.adminCidrs) expect(apiFromAdmins).toContain(cidr);
      expect(
        ingress.filter((rule) => rule.CidrIpv4 === "0.0.0.0/0" && rule.FromPort === 6443),
      ).toEqual([]);
      if (config.datastore.engine === "postgres") {
        const toDatabase = ingress.filter((rule) => rule.FromPort === 5432);
        expect(toDatabase).toHaveLength(1);
        expect(toDatabase[0]?.CidrIpv4).toBeUndefined();
        expect(toDatabase[0]?.ReferencedGroupInfo?.GroupId).toBeDefined();
      }
    });

    it("runs the servers and the workers in auto scaling groups as defined", async () => {
      const names = [outputs.control_plane_asg_name?.value, outputs.worker_asg_name?.value].map(
        String,
      );
      const groups =
        (
          await aws.autoscaling.send(
            new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names }),
          )
        ).AutoScalingGroups ?? [];
      const servers = groups.find((g) => g.AutoScalingGroupName === names[0]);
      const workers = groups.find((g) => g.AutoScalingGroupName === names[1]);
      expect(servers).toMatchObject({
        MinSize: config.controlPlane.count,
        MaxSize: config.controlPlane.count,
        DesiredCapacity: config.controlPlane.count,
        HealthCheckType: "ELB",
      });
      expect(servers?.TargetGroupARNs).toHaveLength(1);
      expect(servers?.LaunchTemplate?.LaunchTemplateId).toMatch(/^lt-/);
      expect(workers).toMatchObject({
        MinSize: config.workers.min,
        MaxSize: config.workers.max,
        HealthCheckType: "EC2",
      });
      expect(
        workers?.LaunchTemplate?.LaunchTemplateId ?? workers?.MixedInstancesPolicy,
      ).toBeTruthy();

      // IMDSv2 and the instance profile are checked on the templates: moto's ASG instances
      // ignore both (docs/emulator.md gap 5).
      const templateId = servers?.LaunchTemplate?.LaunchTemplateId ?? "";
      const template = (
        await aws.ec2.send(
          new DescribeLaunchTemplateVersionsCommand({
            LaunchTemplateId: templateId,
            Versions: ["$Latest"],
          }),
        )
      ).LaunchTemplateVersions?.[0]?.LaunchTemplateData;
      expect(template?.MetadataOptions?.HttpTokens).toBe("required");
      expect(template?.IamInstanceProfile?.Arn ?? template?.IamInstanceProfile?.Name).toBeTruthy();
      expect(template?.BlockDeviceMappings?.[0]?.Ebs?.Encrypted).toBe(true);

      const hooks = await aws.autoscaling.send(
        new DescribeLifecycleHooksCommand({ AutoScalingGroupName: names[1] }),
      );
      expect(hooks.LifecycleHooks?.[0]?.LifecycleTransition).toBe(
        "autoscaling:EC2_INSTANCE_TERMINATING",
      );
      const policies =
        (
          await aws.autoscaling.send(
            new DescribePoliciesCommand({ AutoScalingGroupName: names[1] }),
          )
        ).ScalingPolicies ?? [];
      const tags = new Map((workers?.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
      if (config.workers.scaling === "cpu") {
        expect(policies.map((p) => p.PolicyType)).toEqual(["TargetTrackingScaling"]);
        expect(policies[0]?.TargetTrackingConfiguration?.TargetValue).toBe(
          config.workers.cpuTarget,
        );
        expect(tags.has("k8s.io/cluster-autoscaler/enabled")).toBe(false);
      } else {
        // One scaler at a time: cluster-autoscaler, found by its auto-discovery tags.
        expect(policies).toEqual([]);
        expect(tags.get("k8s.io/cluster-autoscaler/enabled")).toBe("true");
        expect(tags.get(`k8s.io/cluster-autoscaler/${config.name}`)).toBe("owned");
      }
    });

    it("serves the Kubernetes API through a TCP load balancer with a health check", async () => {
      const dns = String(outputs.api_endpoint?.value);
      const balancers = (await aws.elbv2.send(new DescribeLoadBalancersCommand({}))).LoadBalancers;
      const api = balancers?.find((lb) => lb.DNSName === dns);
      expect(api?.Type).toBe("network");
      const listeners =
        (
          await aws.elbv2.send(
            new DescribeListenersCommand({ LoadBalancerArn: api?.LoadBalancerArn }),
          )
        ).Listeners ?? [];
      expect(listeners.map((l) => [l.Port, l.Protocol])).toEqual([[6443, "TCP"]]);
      const groups =
        (
          await aws.elbv2.send(
            new DescribeTargetGroupsCommand({ LoadBalancerArn: api?.LoadBalancerArn }),
          )
        ).TargetGroups ?? [];
      expect(groups).toHaveLength(1);
      expect(groups[0]).toMatchObject({ Port: 6443, Protocol: "TCP", HealthCheckEnabled: true });
    });

    it("keeps the datastore encrypted, private and in its subnet group", async () => {
      if (config.datastore.engine !== "postgres") return;
      const instances = (await aws.rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [];
      expect(instances).toHaveLength(1);
      expect(instances[0]).toMatchObject({
        Engine: "postgres",
        StorageEncrypted: true,
        PubliclyAccessible: false,
        MultiAZ: config.datastore.multiAz ?? false,
      });
      expect(instances[0]?.DBSubnetGroup?.Subnets).toHaveLength(
        config.network.availabilityZones.length,
      );
      expect(instances[0]?.MasterUserSecret?.SecretArn).toBeTruthy();
    });

    it("mounts an encrypted EFS in every private subnet", async () => {
      if (!config.storage.efs) return;
      const id = String(outputs.efs_id?.value);
      const [fileSystem] =
        (await aws.efs.send(new DescribeFileSystemsCommand({ FileSystemId: id }))).FileSystems ??
        [];
      expect(fileSystem?.Encrypted).toBe(true);
      const targets =
        (await aws.efs.send(new DescribeMountTargetsCommand({ FileSystemId: id }))).MountTargets ??
        [];
      expect(targets).toHaveLength(config.network.availabilityZones.length);
    });

    it("gives both node roles Session Manager and their own inline policies", async () => {
      for (const output of ["control_plane_role_arn", "worker_role_arn"]) {
        const roleName = String(outputs[output]?.value).split("/").at(-1) ?? "";
        const attached =
          (await aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName })))
            .AttachedPolicies ?? [];
        expect(attached.map((p) => p.PolicyName)).toContain("AmazonSSMManagedInstanceCore");
        const inline =
          (await aws.iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ??
          [];
        expect(inline.length, roleName).toBeGreaterThan(0);
      }
    });

    it(
      "destroys everything it made",
      async () => {
        if (config.datastore.engine === "postgres" && config.datastore.deletionProtection) {
          // As a user must: a reviewed change turns the protection off, then the destroy. The
          // change is one in-place update of the database, nothing else.
          await writeStack({
            ...config,
            datastore: { ...config.datastore, deletionProtection: false },
          });
          const unprotect = await terraform.plan("unprotect.tfplan");
          expect(unprotect.hasChanges).toBe(true);
          const text = await terraform.showText("unprotect.tfplan");
          expect(text).toMatch(/~ deletion_protection\s+= true -> false/);
          expect(text).toContain("Plan: 0 to add, 1 to change, 0 to destroy.");
          await terraform.apply("unprotect.tfplan");
        }
        const started = Date.now();
        await destroyOnceMoreIfAlreadyGone(terraform);
        measured.destroy = seconds(started);

        const vpcs = await aws.ec2.send(
          new DescribeVpcsCommand({
            Filters: [{ Name: "tag:k3s-bot/cluster", Values: [config.name] }],
          }),
        );
        expect(vpcs.Vpcs).toEqual([]);
        const groups = await aws.autoscaling.send(new DescribeAutoScalingGroupsCommand({}));
        expect(groups.AutoScalingGroups).toEqual([]);
        const balancers = await aws.elbv2.send(new DescribeLoadBalancersCommand({}));
        expect(balancers.LoadBalancers).toEqual([]);
        const databases = await aws.rds.send(new DescribeDBInstancesCommand({}));
        expect(databases.DBInstances).toEqual([]);
        const fileSystems = await aws.efs.send(new DescribeFileSystemsCommand({}));
        expect(fileSystems.FileSystems).toEqual([]);
        const roles = (await aws.iam.send(new ListRolesCommand({}))).Roles ?? [];
        expect(roles.filter((role) => role.RoleName?.startsWith(config.name))).toEqual([]);

        const object = await aws.stateS3.send(
          new GetObjectCommand({ Bucket: config.state.bucket, Key: config.state.key }),
        );
        const state = JSON.parse((await object.Body?.transformToString()) ?? "{}");
        expect(state.resources).toEqual([]);
      },
      15 * 60_000,
    );
  });
}

function sdkClients(url: string, region: string) {
  const config = emulatorAwsClientConfig(url, region);
  return {
    s3: new S3Client(config),
    stateS3: new S3Client(config),
    dynamodb: new DynamoDBClient(config),
    sts: new STSClient(config),
    ec2: new EC2Client(config),
    autoscaling: new AutoScalingClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    rds: new RDSClient(config),
    efs: new EFSClient(config),
    iam: new IAMClient(config),
  };
}

async function groupIds(ec2: EC2Client, vpcId: string): Promise<string[]> {
  const { DescribeSecurityGroupsCommand } = await import("@aws-sdk/client-ec2");
  const groups = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }),
  );
  return (groups.SecurityGroups ?? []).map((group) => group.GroupId ?? "");
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

const run = promisify(execFile);

/**
 * Runs `work` and returns the peak resident memory (KiB) of this process's descendants while
 * it ran, without the emulator's: Terraform plus its provider plugin, which `time -v` would
 * report only separately.
 */
async function withPeakMemory(work: () => Promise<unknown>, excluded: number): Promise<number> {
  let peak = 0;
  let sampling = Promise.resolve();
  const sample = async () => {
    const { stdout } = await run("ps", ["-e", "-o", "pid=,ppid=,rss="]);
    const children = new Map<number, number[]>();
    const rss = new Map<number, number>();
    for (const line of stdout.trim().split("\n")) {
      const [pid, ppid, kib] = line.trim().split(/\s+/).map(Number);
      if (pid === undefined || ppid === undefined) continue;
      rss.set(pid, kib ?? 0);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    }
    let total = 0;
    const pending = [...(children.get(process.pid) ?? [])];
    while (pending.length > 0) {
      const pid = pending.pop() as number;
      if (pid === excluded) continue;
      total += rss.get(pid) ?? 0;
      pending.push(...(children.get(pid) ?? []));
    }
    peak = Math.max(peak, total);
  };
  const timer = setInterval(() => {
    sampling = sampling.then(sample).catch(() => {});
  }, 500);
  try {
    await work();
  } finally {
    clearInterval(timer);
    await sampling;
  }
  return peak;
}

/**
 * Under a loaded CI machine, moto once answered a DeleteTargetGroup with TargetGroupNotFound
 * for a group Terraform had not deleted before: the AWS SDK's retry of a request whose first
 * attempt moto had already carried out (moto, unlike a retried AWS call, is not idempotent
 * there). The group is gone, which is what the destroy wants; Terraform left the rest of the
 * state as it was, so a second destroy finishes the job, and the assertions that follow still
 * prove that nothing is left. Only that "already gone" answer earns the second run; any other
 * failure fails the test.
 */
async function destroyOnceMoreIfAlreadyGone(terraform: TerraformRunner): Promise<void> {
  try {
    await terraform.destroy();
  } catch (error) {
    if (!/deleting [^\n]*NotFound/.test(String((error as Error).message))) throw error;
    console.warn(`destroy met an already-deleted resource; destroying once more:\n${error}`);
    await terraform.destroy();
  }
}
