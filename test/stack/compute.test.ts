import { describe, expect, it } from "vitest";
import type { PolicyDocument, PolicyStatement } from "../../infra/iam-policies";
import {
  exampleConfig,
  listOf,
  type Resource,
  ref,
  referencedName,
  resourceAt,
  synthesize,
  type TerraformJson,
} from "./helpers";

/** Name of the HA example cluster. */
const HA = exampleConfig("ha").name;

const dev = synthesize(exampleConfig("dev")).json;
const ha = synthesize(exampleConfig("ha")).json;

const controlPlaneGroup = (json: TerraformJson) =>
  resourceAt(json, "aws_autoscaling_group.servers");
const workerGroup = (json: TerraformJson) => resourceAt(json, "aws_autoscaling_group.workers");
const tagsOf = (group: Resource) =>
  Object.fromEntries(
    (group.tag as { key: string; value: string }[]).map((tag) => [tag.key, tag.value]),
  );

/** The inline policies of a pool's role (`servers` or `workers`), by policy name. */
function policiesOf(json: TerraformJson, pool: string): Record<string, PolicyDocument> {
  return Object.fromEntries(
    Object.entries(json.resource?.aws_iam_role_policy ?? {})
      .filter(([logical]) => logical.startsWith(`${pool}_`))
      .map(([, policy]) => [String(policy.name), JSON.parse(String(policy.policy))]),
  );
}

const statements = (policies: Record<string, PolicyDocument>): PolicyStatement[] =>
  Object.values(policies).flatMap((policy) => policy.Statement);
const actionsOf = (statement: PolicyStatement) =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];
const resourcesOfStatement = (statement: PolicyStatement): string[] =>
  statement.Resource === undefined
    ? []
    : Array.isArray(statement.Resource)
      ? statement.Resource
      : [statement.Resource];

describe("launch templates", () => {
  const templates = listOf(dev, "aws_launch_template");

  it("require IMDSv2, with a hop limit of 2 on servers and 1 on workers (no pod takes the worker role)", () => {
    expect(templates).toHaveLength(2);
    const hopLimits = Object.fromEntries(
      templates.map((template) => {
        expect(template.metadata_options).toMatchObject({
          http_endpoint: "enabled",
          http_tokens: "required",
        });
        const options = template.metadata_options as Record<string, unknown>;
        return [String(template.name), options.http_put_response_hop_limit];
      }),
    );
    expect(hopLimits).toEqual({ "dev-control-plane": 2, "dev-worker": 1 });
  });

  it("encrypt a gp3 root volume of the configured size", () => {
    const config = exampleConfig("dev");
    const sizes = templates.map((template) => {
      const [root] = template.block_device_mappings as { ebs: Record<string, unknown> }[];
      expect(root?.ebs).toMatchObject({ encrypted: "true", volume_type: "gp3" });
      return root?.ebs.volume_size;
    });
    expect(sizes.sort()).toEqual(
      [config.controlPlane.rootVolumeGb, config.workers.rootVolumeGb].sort(),
    );
  });

  it("resolve Canonical's Ubuntu 24.04 image at launch, for the instance type's architecture", () => {
    for (const template of templates) {
      expect(template.image_id).toBe(
        "resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
      );
    }
    const graviton = synthesize(
      exampleConfig("dev", (c) => {
        c.workers.instanceType = "m7g.large";
      }),
    ).json;
    expect(resourceAt(graviton, "aws_launch_template.workers").image_id).toContain("/arm64/");
  });

  it("pass gzipped user data built from the bootstrap text and Terraform references", () => {
    for (const template of templates) {
      expect(String(template.user_data)).toMatch(/^\$\{base64gzip\(join\("", \[element\(local\./);
      expect(String(template.user_data)).toContain("aws_lb.api.dns_name");
    }
    // The literal pieces reach Terraform as written, with the bootstrap's $${ escapes intact.
    const pieces = Object.values(dev.locals ?? {}).flat() as string[];
    expect(pieces.join("")).toContain('root="$${K3S_BOT_ROOT:-}"');
    expect(pieces.join("")).not.toContain("TfToken");
  });

  it("attach the node group plus the role's group, and tag instances and volumes", () => {
    const server = resourceAt(dev, "aws_launch_template.servers");
    expect((server.vpc_security_group_ids as string[]).map(referencedName)).toEqual([
      "nodes",
      "servers",
    ]);
    const specs = server.tag_specifications as { resource_type: string; tags: object }[];
    expect(specs.map((spec) => spec.resource_type)).toEqual(["instance", "volume"]);
    expect(specs[0]?.tags).toMatchObject({
      "kubernetes.io/cluster/dev": "owned",
      "k3s-bot/cluster": "dev",
      "managed-by": "k3s-bot",
    });
  });

  it("have no SSH key", () => {
    for (const template of templates) expect(template.key_name).toBeUndefined();
  });
});

describe("control-plane group", () => {
  it("has a fixed size equal to the server count (1 for dev, 3 for HA)", () => {
    expect(controlPlaneGroup(dev)).toMatchObject({ min_size: 1, max_size: 1, desired_capacity: 1 });
    expect(controlPlaneGroup(ha)).toMatchObject({ min_size: 3, max_size: 3, desired_capacity: 3 });
  });

  it("sits in the private subnets behind the API target group, with ELB health checks", () => {
    const group = controlPlaneGroup(dev);
    const subnets = (group.vpc_zone_identifier as string[]).map(referencedName);
    expect(subnets.every((name) => name?.startsWith("private_"))).toBe(true);
    expect((group.target_group_arns as string[]).map(referencedName)).toEqual(["api"]);
    expect(group.health_check_type).toBe("ELB");
    expect(group.health_check_grace_period).toBeGreaterThanOrEqual(300);
  });

  it("rolls new servers in before old ones go", () => {
    expect(controlPlaneGroup(ha).instance_refresh).toMatchObject({
      strategy: "Rolling",
      preferences: { min_healthy_percentage: 100, max_healthy_percentage: 200 },
    });
  });

  it("does not refresh a single embedded-etcd server, which holds the only copy of the state", () => {
    const single = synthesize(
      exampleConfig("dev", (c) => {
        c.datastore.engine = "etcd";
      }),
    ).json;
    expect(controlPlaneGroup(single).instance_refresh).toBeUndefined();
  });
});

describe("worker group", () => {
  it("spans min..max and never sets desired capacity", () => {
    expect(workerGroup(dev)).toMatchObject({ min_size: 1, max_size: 3 });
    expect(workerGroup(ha)).toMatchObject({ min_size: 3, max_size: 12 });
    expect(workerGroup(dev).desired_capacity).toBeUndefined();
    expect(workerGroup(ha).desired_capacity).toBeUndefined();
  });

  it("serves the ingress target groups", () => {
    expect((workerGroup(dev).target_group_arns as string[]).map(referencedName)).toEqual([
      "ingress_http",
      "ingress_https",
    ]);
  });

  it("propagates the cluster tags to its instances", () => {
    const tags = workerGroup(ha).tag as {
      key: string;
      value: string;
      propagate_at_launch: boolean;
    }[];
    expect(tags).toEqual(
      expect.arrayContaining([
        { key: `kubernetes.io/cluster/${HA}`, value: "owned", propagate_at_launch: true },
        { key: "k3s-bot/cluster", value: HA, propagate_at_launch: true },
        { key: "team", value: "platform", propagate_at_launch: true },
      ]),
    );
  });

  it("in cpu mode has a target-tracking policy at cpuTarget and no autoscaler tags", () => {
    const [policy, ...others] = listOf(dev, "aws_autoscaling_policy");
    expect(others).toEqual([]);
    expect(policy).toMatchObject({
      policy_type: "TargetTrackingScaling",
      target_tracking_configuration: {
        predefined_metric_specification: { predefined_metric_type: "ASGAverageCPUUtilization" },
        target_value: 80,
      },
    });
    expect(referencedName(policy?.autoscaling_group_name)).toBe("workers");
    const keys = Object.keys(tagsOf(workerGroup(dev)));
    expect(keys.filter((key) => key.startsWith("k8s.io/cluster-autoscaler"))).toEqual([]);
    expect(policiesOf(dev, "servers")["cluster-autoscaler"]).toBeUndefined();
  });

  it("in clusterAutoscaler mode has the discovery tags, no policy, and ignores desired capacity", () => {
    expect(listOf(ha, "aws_autoscaling_policy")).toEqual([]);
    expect(tagsOf(workerGroup(ha))).toMatchObject({
      "k8s.io/cluster-autoscaler/enabled": "true",
      [`k8s.io/cluster-autoscaler/${HA}`]: "owned",
    });
    expect(workerGroup(ha).lifecycle).toEqual({ ignore_changes: ["desired_capacity"] });
  });

  it("waits for a drain before a worker is terminated", () => {
    const hook = resourceAt(dev, "aws_autoscaling_lifecycle_hook.workers_drain");
    expect(hook).toMatchObject({
      name: "dev-worker-drain",
      lifecycle_transition: "autoscaling:EC2_INSTANCE_TERMINATING",
      heartbeat_timeout: 360, // drainTimeoutSeconds 300 + the 60 s the drain may take to start
      default_result: "CONTINUE",
    });
    expect(referencedName(hook.autoscaling_group_name)).toBe("workers");
  });

  it("runs on Spot only, through a mixed-instances policy, when spot is on", () => {
    expect(workerGroup(dev).mixed_instances_policy).toBeUndefined();
    const spot = workerGroup(
      synthesize(
        exampleConfig("dev", (c) => {
          c.workers.spot = true;
        }),
      ).json,
    );
    expect(spot.launch_template).toBeUndefined();
    expect(spot.mixed_instances_policy).toMatchObject({
      instances_distribution: {
        on_demand_base_capacity: 0,
        on_demand_percentage_above_base_capacity: 0,
      },
      launch_template: { override: [{ instance_type: "t3.large" }] },
    });
  });
});

describe("IAM", () => {
  it("gives both roles Session Manager instead of SSH", () => {
    const attachments = listOf(dev, "aws_iam_role_policy_attachment");
    expect(attachments.map((attachment) => attachment.policy_arn)).toEqual([
      "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
      "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    ]);
  });

  it("lets only EC2 assume the node roles", () => {
    const nodeRoles = listOf(dev, "aws_iam_role").filter((role) =>
      /-(control-plane|worker)$/.test(String(role.name)),
    );
    expect(nodeRoles).toHaveLength(2);
    for (const role of nodeRoles) {
      expect(JSON.parse(String(role.assume_role_policy))).toEqual({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "ec2.amazonaws.com" },
            Action: "sts:AssumeRole",
          },
        ],
      });
    }
  });

  it("scopes Secrets Manager to this cluster's secrets: servers read and write both tokens, workers read the agent token only", () => {
    const secretStatements = (identity: string) =>
      statements(policiesOf(dev, identity)).filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith("secretsmanager:")),
      );
    const server = secretStatements("servers");
    const clusterSecrets = server.find((statement) => statement.Sid === "ClusterSecrets");
    expect(actionsOf(clusterSecrets as PolicyStatement).sort()).toEqual([
      "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
    ]);
    expect(resourcesOfStatement(clusterSecrets as PolicyStatement)).toEqual([
      ref("aws_secretsmanager_secret.join_token.arn"),
      ref("aws_secretsmanager_secret.agent_token.arn"),
      ref("aws_secretsmanager_secret.kubeconfig.arn"),
    ]);
    const serverResources = server.flatMap(resourcesOfStatement);
    expect(serverResources).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/aws_db_instance\..*\.master_user_secret\[0\]\.secret_arn/),
      ]),
    );
    expect(serverResources).toHaveLength(4);
    expect(server.flatMap(actionsOf).sort()).toEqual([
      "secretsmanager:GetSecretValue",
      "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
    ]);

    // A worker holding the join token could join as a server and read the datastore.
    const worker = secretStatements("workers");
    expect(worker).toHaveLength(1);
    expect(worker.flatMap(actionsOf)).toEqual(["secretsmanager:GetSecretValue"]);
    expect(worker.flatMap(resourcesOfStatement)).toEqual([
      ref("aws_secretsmanager_secret.agent_token.arn"),
    ]);
    const workerResources = statements(policiesOf(dev, "workers")).flatMap(resourcesOfStatement);
    expect(workerResources.some((resource) => resource.includes("join_token"))).toBe(false);
  });

  it("puts no wildcard resource on any write to secrets, lifecycle actions or EFS mounts", () => {
    for (const json of [dev, ha]) {
      for (const identity of ["servers", "workers"]) {
        for (const statement of statements(policiesOf(json, identity))) {
          const scoped = actionsOf(statement).some((action) =>
            /^(secretsmanager:|autoscaling:CompleteLifecycleAction|elasticfilesystem:Client)/.test(
              action,
            ),
          );
          if (scoped) expect(resourcesOfStatement(statement)).not.toContain("*");
        }
      }
    }
  });

  it("lets only the servers, which run the drain, complete lifecycle actions, on the worker group", () => {
    const policy = policiesOf(dev, "servers")["worker-drain"];
    expect(policy?.Statement).toEqual([
      expect.objectContaining({
        Action: [
          "autoscaling:CompleteLifecycleAction",
          "autoscaling:RecordLifecycleActionHeartbeat",
        ],
        Resource: expect.stringMatching(/^\$\{aws_autoscaling_group\.workers\.arn\}$/),
      }),
    ]);
    const workerActions = statements(policiesOf(dev, "workers")).flatMap(actionsOf);
    expect(workerActions.some((action) => action.includes("LifecycleAction"))).toBe(false);
  });

  it("lets a worker mark instances Unhealthy in its own group only (bootstrap failure)", () => {
    const worker = policiesOf(dev, "workers")["bootstrap-failure"];
    expect(worker?.Statement).toEqual([
      {
        Sid: "WorkerMarksItselfUnhealthy",
        Effect: "Allow",
        Action: "autoscaling:SetInstanceHealth",
        Resource:
          "arn:aws:autoscaling:eu-central-1:*:autoScalingGroup:*:autoScalingGroupName/dev-workers",
        Condition: {
          StringEquals: {
            "aws:ResourceTag/k3s-bot/cluster": "dev",
            "aws:ResourceTag/k3s-bot/role": "agent",
          },
        },
      },
    ]);
    // The worker group carries exactly those tags and that name.
    const group = workerGroup(dev);
    expect(group.name).toBe("dev-workers");
    expect(tagsOf(group)).toMatchObject({ "k3s-bot/cluster": "dev", "k3s-bot/role": "agent" });
    const serverActions = statements(policiesOf(dev, "servers")).flatMap(actionsOf);
    expect(serverActions).not.toContain("autoscaling:SetInstanceHealth");
  });

  it("gives the EFS CSI controller's tag-conditioned policy to servers only", () => {
    const server = policiesOf(dev, "servers")["efs-csi-controller"];
    const create = server?.Statement.find((s) =>
      actionsOf(s).includes("elasticfilesystem:CreateAccessPoint"),
    );
    expect(create?.Condition).toEqual({
      StringLike: { "aws:RequestTag/efs.csi.aws.com/cluster": "true" },
    });
    const remove = server?.Statement.find((s) =>
      actionsOf(s).includes("elasticfilesystem:DeleteAccessPoint"),
    );
    expect(remove?.Condition).toEqual({
      StringEquals: { "aws:ResourceTag/efs.csi.aws.com/cluster": "true" },
    });
    // Tag-on-create: IAM authorizes the tags of CreateAccessPoint as TagResource.
    const tag = server?.Statement.find((s) =>
      actionsOf(s).includes("elasticfilesystem:TagResource"),
    );
    expect(tag?.Condition).toEqual({
      StringLike: { "aws:ResourceTag/efs.csi.aws.com/cluster": "true" },
    });
    expect(policiesOf(dev, "workers")["efs-csi-controller"]).toBeUndefined();
    expect(policiesOf(dev, "workers")["efs-csi-node"]).toBeDefined();
  });

  it("limits cluster-autoscaler's writes to groups tagged for this cluster", () => {
    const policy = policiesOf(ha, "servers")["cluster-autoscaler"];
    const writes = policy?.Statement.find((s) =>
      actionsOf(s).includes("autoscaling:SetDesiredCapacity"),
    );
    expect(writes?.Condition).toEqual({
      StringEquals: {
        "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
        [`aws:ResourceTag/k8s.io/cluster-autoscaler/${HA}`]: "owned",
      },
    });
    expect(policiesOf(ha, "workers")["cluster-autoscaler"]).toBeUndefined();
  });

  it("does not ask for the RDS secret with embedded etcd", () => {
    const etcd = synthesize(
      exampleConfig("dev", (c) => {
        c.datastore.engine = "etcd";
      }),
    ).json;
    const resources = statements(policiesOf(etcd, "servers")).flatMap(resourcesOfStatement);
    expect(resources.some((resource) => resource.includes("master_user_secret"))).toBe(false);
  });
});

describe("cluster secrets", () => {
  it("are created without a value and deleted at once on destroy", () => {
    const secrets = listOf(dev, "aws_secretsmanager_secret");
    expect(secrets.map((secret) => secret.name).sort()).toEqual([
      "k3s-bot/dev/agent-token",
      "k3s-bot/dev/join-token",
      "k3s-bot/dev/kubeconfig",
    ]);
    for (const secret of secrets) expect(secret.recovery_window_in_days).toBe(0);
    expect(listOf(dev, "aws_secretsmanager_secret_version")).toEqual([]);
  });
});
