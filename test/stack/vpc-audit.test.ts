import { describe, expect, it } from "vitest";
import { FLOW_LOG_RETENTION_DAYS } from "../../infra/vpc-audit";
import { exampleConfig, listOf, ref, resourceAt, synthesize } from "./helpers";

const dev = synthesize(exampleConfig("dev")).json;

describe("VPC audit", () => {
  it("closes the VPC's default security group: no ingress, no egress", () => {
    const group = resourceAt(dev, "aws_default_security_group.vpc");
    expect(group.vpc_id).toBe(ref("aws_vpc.main.id"));
    expect(group.ingress).toBeUndefined();
    expect(group.egress).toBeUndefined();
  });

  it("logs all VPC traffic to a log group with a bounded retention, through a role only flow logs can take", () => {
    const flowLog = resourceAt(dev, "aws_flow_log.vpc");
    expect(flowLog).toMatchObject({
      traffic_type: "ALL",
      log_destination_type: "cloud-watch-logs",
      log_destination: ref("aws_cloudwatch_log_group.vpc_flow_logs.arn"),
      iam_role_arn: ref("aws_iam_role.vpc_flow_logs.arn"),
    });
    expect(resourceAt(dev, "aws_cloudwatch_log_group.vpc_flow_logs")).toMatchObject({
      name: "/k3s-bot/dev/vpc-flow-logs",
      retention_in_days: FLOW_LOG_RETENTION_DAYS,
    });
    const role = resourceAt(dev, "aws_iam_role.vpc_flow_logs");
    expect(JSON.parse(String(role.assume_role_policy)).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "vpc-flow-logs.amazonaws.com" },
        Action: "sts:AssumeRole",
      },
    ]);
    const delivery = JSON.parse(
      String(resourceAt(dev, "aws_iam_role_policy.vpc_flow_logs_delivery").policy),
    );
    expect(delivery.Statement).toHaveLength(1);
    expect(delivery.Statement[0].Resource).toEqual([
      expect.stringMatching(/^\$\{aws_cloudwatch_log_group\..*\.arn\}$/),
      expect.stringMatching(/^\$\{aws_cloudwatch_log_group\..*\.arn\}:\*$/),
    ]);
    expect(listOf(dev, "aws_flow_log")).toHaveLength(1);
  });

  it("exports the datastore's PostgreSQL and upgrade logs to CloudWatch", () => {
    const ha = synthesize(exampleConfig("ha")).json;
    expect(resourceAt(ha, "aws_db_instance.datastore").enabled_cloudwatch_logs_exports).toEqual([
      "postgresql",
      "upgrade",
    ]);
  });
});
