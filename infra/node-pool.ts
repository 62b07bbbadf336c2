/**
 * One group of k3s nodes (docs/architecture.md, "infra/"): a launch template and the Auto
 * Scaling group that launches from it, with its health checks, instance refresh and tags. The
 * servers and the workers are both a `NodePool`; what differs between them (size, role, user
 * data, load balancers, Spot) comes in through the props, as rke2-aws-tf's `nodepool` module
 * is used for both of its pools.
 */

import {
  AutoscalingGroup,
  type AutoscalingGroupTag,
} from "@cdktf/provider-aws/lib/autoscaling-group";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { Fn, type ITerraformDependable, TerraformLocal, Token } from "cdktf";
import { Construct } from "constructs";
import { named } from "./addresses";

/** A new instance counts as in service for scaling and refreshes after this long. */
export const INSTANCE_WARMUP_SECONDS = 300;

/** A cdktf string token, as `Token.asString()` encodes it (captured, for `split`). */
const STRING_TOKEN = /(\$\{TfToken\[[A-Za-z0-9_.-]+\]\})/;

/**
 * `base64gzip()` of a script that contains Terraform references, without passing its text
 * through cdktf's expression rendering. cdktf re-escapes string literals given to functions
 * (`${` → `$${` on top of the escaping renderUserData already did, quotes rejected) and, in a
 * plain string that mixes tokens with `$${…}`, reads `${…}` as raw expressions. So the literal
 * pieces between references go, token-free and verbatim, into a list local (Terraform reads
 * each as a template, where `$${` is the escape renderUserData wrote), and the expression only
 * joins list elements and references: `base64gzip(join("", [element(local.x, 0), aws_lb…]))`.
 */
function userDataExpression(scope: Construct, name: string, text: string): string {
  const pieces = text.split(STRING_TOKEN);
  const literals = pieces.filter((_, index) => index % 2 === 0);
  const references = pieces.filter((_, index) => index % 2 === 1);
  const local = new TerraformLocal(scope, "user-data", literals);
  local.overrideLogicalId(name);
  const parts: string[] = [];
  literals.forEach((literal, index) => {
    if (literal !== "") parts.push(Fn.element(local.asList, index));
    const reference = references[index];
    if (reference !== undefined) parts.push(reference);
  });
  return Fn.base64gzip(Fn.join("", parts));
}

export interface NodePoolProps {
  /**
   * Address name of the pool's resources (`aws_launch_template.<name>`,
   * `aws_autoscaling_group.<name>`, `local.<name>_user_data`).
   */
  name: string;
  /** AWS name of the launch template. */
  launchTemplateName: string;
  /** AWS name of the Auto Scaling group (user data may need it before the group exists). */
  groupName: string;
  /** The launch template's description. */
  description: string;
  /** AMI id, or a `resolve:ssm:` parameter EC2 resolves at launch. */
  imageId: string;
  instanceType: string;
  rootVolumeGb: number;
  instanceProfileArn: string;
  securityGroupIds: string[];
  /** IMDSv2 response hop limit: 1 keeps the instance role away from pods on the pod network. */
  imdsHopLimit: number;
  /** The node's user data script, Terraform references (cdktf tokens) included. */
  userData: string;
  /** Subnets the group launches into, one per zone. */
  subnetIds: string[];
  /** `desired` absent: something else (a scaling policy, cluster-autoscaler) owns it. */
  size: { min: number; max: number; desired?: number };
  /** Target groups the group registers its instances with. */
  targetGroupArns: string[];
  /** `ELB`: an instance its load balancer finds unhealthy is replaced; `EC2`: status checks only. */
  healthCheckType: "ELB" | "EC2";
  healthCheckGraceSeconds: number;
  /** Spot instances only (no On-Demand base), with capacity rebalancing. */
  spot: boolean;
  /**
   * Roll out a new launch template version automatically: new instances first, old ones go
   * once the new are healthy (never below the desired capacity).
   */
  instanceRefresh: boolean;
  /** Let Terraform leave `desired_capacity` alone (cluster-autoscaler sets it). */
  ignoreDesiredCapacity: boolean;
  /** On the instances, their volumes and the group (propagated to instances at launch). */
  instanceTags: Record<string, string>;
  /** On the launch template itself. */
  launchTemplateTags: Record<string, string>;
  /** On the group only, not propagated (e.g. cluster-autoscaler's discovery tags). */
  groupOnlyTags?: Record<string, string>;
  /** What must exist before the first instance boots (instance profile, policies, routes). */
  dependsOn: ITerraformDependable[];
}

export class NodePool extends Construct {
  readonly launchTemplate: LaunchTemplate;
  readonly group: AutoscalingGroup;

  constructor(scope: Construct, id: string, props: NodePoolProps) {
    super(scope, id);

    this.launchTemplate = new LaunchTemplate(this, "launch-template", {
      name: props.launchTemplateName,
      description: props.description,
      imageId: props.imageId,
      instanceType: props.instanceType,
      iamInstanceProfile: { arn: props.instanceProfileArn },
      vpcSecurityGroupIds: props.securityGroupIds,
      metadataOptions: {
        httpEndpoint: "enabled",
        // IMDSv2 only: a token is required, which blocks SSRF-style credential theft.
        httpTokens: "required",
        httpPutResponseHopLimit: props.imdsHopLimit,
      },
      blockDeviceMappings: [
        {
          // Root device of Canonical's Ubuntu AMIs.
          deviceName: "/dev/sda1",
          ebs: {
            volumeSize: props.rootVolumeGb,
            volumeType: "gp3",
            encrypted: "true",
            deleteOnTermination: "true",
          },
        },
      ],
      // cloud-init reads gzip; compressing keeps the script under EC2's 16 KB limit.
      userData: userDataExpression(this, `${props.name}_user_data`, props.userData),
      // A new version becomes the default, so the console and `aws ec2 run-instances` agree.
      updateDefaultVersion: true,
      // Provider default_tags reach neither the instances an ASG launches nor their volumes.
      tagSpecifications: [
        { resourceType: "instance", tags: props.instanceTags },
        { resourceType: "volume", tags: props.instanceTags },
      ],
      tags: props.launchTemplateTags,
    });
    named(this.launchTemplate, props.name);

    const template = {
      id: this.launchTemplate.id,
      version: Token.asString(this.launchTemplate.latestVersion),
    };
    // Default tags do not reach ASGs (the provider leaves them out) nor the instances they
    // launch: tag blocks, propagated at launch.
    const tags: AutoscalingGroupTag[] = [
      ...Object.entries(props.instanceTags).map(([key, value]) => ({
        key,
        value,
        propagateAtLaunch: true,
      })),
      ...Object.entries(props.groupOnlyTags ?? {}).map(([key, value]) => ({
        key,
        value,
        propagateAtLaunch: false,
      })),
    ];
    this.group = new AutoscalingGroup(this, "group", {
      name: props.groupName,
      minSize: props.size.min,
      maxSize: props.size.max,
      ...(props.size.desired !== undefined ? { desiredCapacity: props.size.desired } : {}),
      vpcZoneIdentifier: props.subnetIds,
      ...(props.spot
        ? {
            mixedInstancesPolicy: {
              instancesDistribution: {
                onDemandBaseCapacity: 0,
                onDemandPercentageAboveBaseCapacity: 0,
                // AWS's recommended strategy: deep capacity pools first, then price.
                spotAllocationStrategy: "price-capacity-optimized",
              },
              launchTemplate: {
                launchTemplateSpecification: {
                  launchTemplateId: template.id,
                  version: template.version,
                },
                override: [{ instanceType: props.instanceType }],
              },
            },
            // Replace a Spot instance at risk of interruption before it is reclaimed.
            capacityRebalance: true,
          }
        : { launchTemplate: template }),
      targetGroupArns: props.targetGroupArns,
      healthCheckType: props.healthCheckType,
      healthCheckGracePeriod: props.healthCheckGraceSeconds,
      defaultInstanceWarmup: INSTANCE_WARMUP_SECONDS,
      ...(props.instanceRefresh
        ? {
            instanceRefresh: {
              strategy: "Rolling",
              preferences: {
                minHealthyPercentage: 100,
                maxHealthyPercentage: 200,
                instanceWarmup: String(INSTANCE_WARMUP_SECONDS),
              },
            },
          }
        : {}),
      tag: tags,
      ...(props.ignoreDesiredCapacity
        ? { lifecycle: { ignoreChanges: ["desired_capacity"] } }
        : {}),
      dependsOn: props.dependsOn,
    });
    named(this.group, props.name);
  }
}
