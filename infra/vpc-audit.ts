/**
 * What the VPC records and forbids beyond the cluster's own groups: its default security group
 * closed (AWS creates it allowing all traffic among its members and all egress; nothing here
 * uses it, so an instance or interface attached to it by mistake reaches nothing), and flow
 * logs of all its traffic into a CloudWatch log group kept for a bounded time, written through
 * a role only the flow-logs service can take.
 */

import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Construct } from "constructs";
import { named } from "./addresses";
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
  cluster: Pick<ClusterConfig, "name" | "region">;
  vpcId: string;
}

export class VpcAudit extends Construct {
  readonly defaultSecurityGroup: DefaultSecurityGroup;
  readonly flowLogGroup: CloudwatchLogGroup;
  readonly flowLogRole: IamRole;
  readonly flowLog: FlowLog;

  constructor(scope: Construct, id: string, props: VpcAuditProps) {
    super(scope, id);
    const config = props.cluster;
    // No ingress or egress block: the provider removes every rule of the default group.
    this.defaultSecurityGroup = new DefaultSecurityGroup(this, "default-security-group", {
      vpcId: props.vpcId,
      tags: nameTag(config, "default-closed"),
    });
    named(this.defaultSecurityGroup, "vpc");

    this.flowLogGroup = new CloudwatchLogGroup(this, "flow-log-group", {
      name: flowLogGroupName(config),
      retentionInDays: FLOW_LOG_RETENTION_DAYS,
      tags: nameTag(config, "vpc-flow-logs"),
    });
    named(this.flowLogGroup, "vpc_flow_logs");
    this.flowLogRole = new IamRole(this, "flow-log-role", {
      name: iamName(config, "vpc-flow-logs"),
      description: `VPC flow logs of cluster ${config.name} into their log group`,
      assumeRolePolicy: policyJson(flowLogsAssumeRolePolicy()),
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
