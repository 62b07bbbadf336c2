import { describe, expect, it } from "vitest";
import { FLOW_LOG_RETENTION_DAYS, FORMER_DEFAULT_SECURITY_GROUP } from "../../infra/vpc-audit";
import { exampleConfig, listOf, ref, resourceAt, synthesize } from "./helpers";

const dev = synthesize(exampleConfig("dev")).json;
/** The Terraform reference the stack uses when the account is unknown at synth. */
const ACCOUNT_REF = `\${local.role_account}`;

describe("VPC audit", () => {
  it("leaves the VPC's default security group alone, and forgets one an earlier stack adopted", () => {
    // Adopting it needs CreateTags and Revoke* on a group without the cluster tag, which the
    // bot's policy no longer grants (docs/security.md).
    expect(Object.keys(dev.resource as Record<string, unknown>)).not.toContain(
      "aws_default_security_group",
    );
    expect((dev as unknown as Record<string, unknown>).removed).toEqual(
      FORMER_DEFAULT_SECURITY_GROUP.map((from) => ({ from, lifecycle: { destroy: false } })),
    );
    expect(FORMER_DEFAULT_SECURITY_GROUP[0]).toBe("aws_default_security_group.vpc");
    expect(FORMER_DEFAULT_SECURITY_GROUP[1]).toMatch(
      /^aws_default_security_group\.vpc-audit_default-security-group_[0-9A-F]{8}$/,
    );
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
    // Confused deputy: only flow logs of this account, in this region (Amazon VPC User Guide,
    // "IAM role for publishing flow logs to CloudWatch Logs").
    expect(JSON.parse(String(role.assume_role_policy)).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "vpc-flow-logs.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": ACCOUNT_REF },
          ArnLike: {
            "aws:SourceArn": `arn:aws:ec2:eu-central-1:${ACCOUNT_REF}:vpc-flow-log/*`,
          },
        },
      },
    ]);
    expect(role.permissions_boundary).toBe(
      `arn:aws:iam::${ACCOUNT_REF}:policy/k3s-bot-node-boundary`,
    );
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

  it("names the account in the boundary and trust policy when it is known at synth", () => {
    const config = exampleConfig("dev");
    const known = (json: ReturnType<typeof synthesize>["json"]) =>
      resourceAt(json, "aws_iam_role.vpc_flow_logs");
    const fromEngine = known(synthesize(config, { accountId: "210987654321" }).json);
    expect(fromEngine.permissions_boundary).toBe(
      "arn:aws:iam::210987654321:policy/k3s-bot-node-boundary",
    );
    expect(String(fromEngine.assume_role_policy)).toContain('"aws:SourceAccount":"210987654321"');
    // The definition's account wins over what the engine saw.
    config.aws.accountId = "123456789012";
    const fromDefinition = known(synthesize(config, { accountId: "210987654321" }).json);
    expect(fromDefinition.permissions_boundary).toBe(
      "arn:aws:iam::123456789012:policy/k3s-bot-node-boundary",
    );
  });

  it("exports the datastore's PostgreSQL and upgrade logs to CloudWatch", () => {
    const ha = synthesize(exampleConfig("ha")).json;
    expect(resourceAt(ha, "aws_db_instance.datastore").enabled_cloudwatch_logs_exports).toEqual([
      "postgresql",
      "upgrade",
    ]);
  });
});
