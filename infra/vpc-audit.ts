/**
 * What the VPC records beyond the cluster's own groups: flow logs of all its traffic into a
 * CloudWatch log group kept for a bounded time, written through a role only the flow-logs
 * service can take.
 *
 * The VPC's default security group is not managed (docs/security.md, "The bot's own IAM
 * permissions"): AWS creates it untagged, and adopting it means tagging and revoking rules on a
 * group without the cluster tag, which IAM cannot tell from any foreign group (EC2's only key
 * for where a group lives, `ec2:Vpc`, is the VPC's ARN, unknown before the VPC exists). Nothing
 * of the stack uses the group. Stacks applied before keep it as it was (closed), forgotten by a
 * `removed` block rather than destroyed.
 */

import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { hashedLogicalId, named } from "./addresses";
import type { ClusterConfig } from "./definition/config";
import { flowLogsAssumeRolePolicy, flowLogsDeliveryPolicy, policyJson } from "./iam-policies";
import { iamName, nameTag } from "./naming";

/** Days VPC flow logs are kept: enough to investigate an incident, bounded in cost. */
export const FLOW_LOG_RETENTION_DAYS = 90;

export function flowLogGroupName(config: Pick<ClusterConfig, "name">): string {
  return `/k3s-bot/${config.name}/vpc-flow-logs`;
}

export interface VpcAuditProps {
  /** Names the log group, the role (IAM names carry the region) and the `Name` tags. */
  cluster: Pick<ClusterConfig, "name" | "region" | "partition">;
  vpcId: string;
  /** The account the flow logs belong to: only its flow logs may take the role. */
  account: string;
  /** ARN of the permissions boundary every role of the stack carries (infra/iam-boundary.ts). */
  permissionsBoundary: string;
}

/**
 * The default security group's addresses in earlier stacks: readable, and as cdktf hashed its
 * construct path (infra/former-addresses.ts) before the readable names.
 */
export const FORMER_DEFAULT_SECURITY_GROUP = [
  "aws_default_security_group.vpc",
  `aws_default_security_group.${hashedLogicalId(["vpc-audit", "default-security-group"])}`,
];

/**
 * Forgets the default security group an earlier stack adopted, without touching it (Terraform's
 * `removed` block with `destroy = false`, Terraform 1.7 and later; a `removed` block whose
 * resource is not in the state does nothing). The provider's delete of this resource is a no-op
 * anyway (hashicorp/terraform-provider-aws, internal/service/ec2/vpc_default_security_group.go:
 * `DeleteWithoutTimeout: schema.NoopContext`), so the plan says "forget", not "destroy".
 */
export function forgetDefaultSecurityGroup(stack: TerraformStack): void {
  stack.addOverride(
    "removed",
    FORMER_DEFAULT_SECURITY_GROUP.map((from) => ({ from, lifecycle: { destroy: false } })),
  );
}

export class VpcAudit extends Construct {
  readonly flowLogGroup: CloudwatchLogGroup;
  readonly flowLogRole: IamRole;
  readonly flowLog: FlowLog;

  constructor(scope: Construct, id: string, props: VpcAuditProps) {
    super(scope, id);
    const config = props.cluster;
    this.flowLogGroup = new CloudwatchLogGroup(this, "flow-log-group", {
      name: flowLogGroupName(config),
      retentionInDays: FLOW_LOG_RETENTION_DAYS,
      tags: nameTag(config, "vpc-flow-logs"),
    });
    named(this.flowLogGroup, "vpc_flow_logs");
    this.flowLogRole = new IamRole(this, "flow-log-role", {
      name: iamName(config, "vpc-flow-logs"),
      description: `VPC flow logs of cluster ${config.name} into their log group`,
      assumeRolePolicy: policyJson(
        flowLogsAssumeRolePolicy({
          partition: config.partition,
          region: config.region,
          account: props.account,
        }),
      ),
      permissionsBoundary: props.permissionsBoundary,
      tags: nameTag(config, "vpc-flow-logs"),
    });
    named(this.flowLogRole, "vpc_flow_logs");
    const delivery = named(
      new IamRolePolicy(this, "flow-log-delivery", {
        name: "flow-log-delivery",
        role: this.flowLogRole.id,
        policy: policyJson(flowLogsDeliveryPolicy(this.flowLogGroup.arn)),
      }),
      "vpc_flow_logs_delivery",
    );
    this.flowLog = new FlowLog(this, "flow-log", {
      vpcId: props.vpcId,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: this.flowLogGroup.arn,
      iamRoleArn: this.flowLogRole.arn,
      tags: nameTag(config, "vpc-flow-logs"),
      dependsOn: [delivery],
    });
    named(this.flowLog, "vpc");
  }
}
