/**
 * Every AWS service the stack creates resources in is pointed at the emulator. A service left
 * out makes Terraform call the real AWS endpoint from a test (it did: the VPC flow-log group went
 * to logs.<region>.amazonaws.com when CloudWatch Logs was added to the stack).
 */
import { describe, expect, it } from "vitest";
import { emulatorProviderSettings } from "../../../app/local/emulator";
import { exampleConfig, synthesize } from "../../stack/helpers";

/** Resource-type prefix → the AWS provider 5.x `endpoints` key of its service. */
const SERVICE_OF: [prefix: string, endpoint: string][] = [
  ["aws_autoscaling_", "autoscaling"],
  ["aws_cloudwatch_log_", "cloudwatchlogs"],
  ["aws_db_", "rds"],
  ["aws_dynamodb_", "dynamodb"],
  ["aws_efs_", "efs"],
  ["aws_lb", "elbv2"],
  ["aws_iam_", "iam"],
  ["aws_kms_", "kms"],
  ["aws_s3_", "s3"],
  ["aws_secretsmanager_", "secretsmanager"],
  ["aws_ssm_", "ssm"],
  // EC2's many resource types last: the VPC and everything in it.
  ["aws_", "ec2"],
];

describe("emulator provider endpoints", () => {
  it.each(["dev", "ha"] as const)("cover every service of the %s stack", (example) => {
    const endpoints = emulatorProviderSettings("http://127.0.0.1:1").endpoints[0] ?? {};
    const types = Object.keys(synthesize(exampleConfig(example)).json.resource ?? {});
    expect(types.length).toBeGreaterThan(20);
    const missing = types
      .map((type) => [type, SERVICE_OF.find(([prefix]) => type.startsWith(prefix))?.[1]] as const)
      .filter(([, service]) => !service || !(service in endpoints));
    expect(missing).toEqual([]);
  });
});
