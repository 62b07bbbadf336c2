/**
 * NodePool on its own, outside the cluster stack: it needs only its props (no cluster
 * definition), and its settings reach the launch template and the group as given.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { NodePool, type NodePoolProps } from "../../infra/node-pool";
import { ref, type TerraformJson } from "./helpers";

const base: NodePoolProps = {
  name: "batch",
  launchTemplateName: "c1-batch",
  groupName: "c1-batch",
  description: "batch nodes",
  imageId: "ami-0123456789abcdef0",
  instanceType: "m6i.large",
  rootVolumeGb: 40,
  instanceProfileArn: "arn:aws:iam::123456789012:instance-profile/batch",
  securityGroupIds: ["sg-1"],
  imdsHopLimit: 1,
  userData: "#!/bin/sh\necho hello\n",
  subnetIds: ["subnet-1", "subnet-2"],
  size: { min: 0, max: 4 },
  targetGroupArns: [],
  healthCheckType: "EC2",
  healthCheckGraceSeconds: 120,
  spot: false,
  instanceRefresh: false,
  ignoreDesiredCapacity: false,
  instanceTags: { Name: "c1-batch", team: "data" },
  launchTemplateTags: { Name: "c1-batch" },
  dependsOn: [],
};

function synth(props: Partial<NodePoolProps>): TerraformJson {
  const stack = new TerraformStack(Testing.app(), "pool");
  new AwsProvider(stack, "aws", { region: "eu-central-1" });
  new NodePool(stack, "pool", { ...base, ...props });
  return JSON.parse(Testing.synth(stack)) as TerraformJson;
}

describe("NodePool", () => {
  it("is addressed by its name and launches the template's latest version", () => {
    const json = synth({});
    const group = json.resource?.aws_autoscaling_group?.batch;
    expect(json.resource?.aws_launch_template?.batch).toMatchObject({
      name: "c1-batch",
      image_id: "ami-0123456789abcdef0",
      metadata_options: { http_tokens: "required", http_put_response_hop_limit: 1 },
    });
    expect(group).toMatchObject({
      name: "c1-batch",
      min_size: 0,
      max_size: 4,
      launch_template: {
        id: ref("aws_launch_template.batch.id"),
        version: ref("aws_launch_template.batch.latest_version"),
      },
    });
    expect(group?.desired_capacity).toBeUndefined();
    expect(group?.instance_refresh).toBeUndefined();
    expect(json.locals?.batch_user_data).toEqual(["#!/bin/sh\necho hello\n"]);
  });

  it("rolls new instances in before old ones go, when asked to", () => {
    const group = synth({ instanceRefresh: true }).resource?.aws_autoscaling_group?.batch;
    expect(group?.instance_refresh).toMatchObject({
      strategy: "Rolling",
      preferences: { min_healthy_percentage: 100, max_healthy_percentage: 200 },
    });
  });

  it("runs Spot only through a mixed-instances policy, and leaves desired capacity alone", () => {
    const group = synth({ spot: true, ignoreDesiredCapacity: true, groupOnlyTags: { x: "y" } })
      .resource?.aws_autoscaling_group?.batch;
    expect(group?.launch_template).toBeUndefined();
    expect(group?.mixed_instances_policy).toMatchObject({
      instances_distribution: { on_demand_percentage_above_base_capacity: 0 },
    });
    expect(group?.capacity_rebalance).toBe(true);
    expect(group?.lifecycle).toEqual({ ignore_changes: ["desired_capacity"] });
    expect(group?.tag).toEqual([
      { key: "Name", value: "c1-batch", propagate_at_launch: true },
      { key: "team", value: "data", propagate_at_launch: true },
      { key: "x", value: "y", propagate_at_launch: false },
    ]);
  });
});
