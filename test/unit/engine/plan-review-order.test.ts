/**
 * What decides the order and the flags of the plan comment: resource types and Terraform's
 * actions (`resource_changes[].change.actions` of `terraform show -json`), never the names in
 * addresses, which are being renamed.
 */
import { describe, expect, it } from "vitest";
import { compactBlock, orderForReview, planBlocks } from "../../../app/engine/plan/plan-blocks";
import { planRisks } from "../../../app/engine/plan/plan-risk";
import { summarizePlan } from "../../../app/engine/plan/summary";

const change = (address: string, type: string, actions: string[]) => ({
  address,
  type,
  change: { actions },
});

describe("planRisks", () => {
  it("flags replaced datastore, EFS and VPC, and every destroy, whatever their addresses", () => {
    const summary = summarizePlan({
      resource_changes: [
        change("aws_db_instance.datastore", "aws_db_instance", ["delete", "create"]),
        change("module.x.aws_efs_file_system.shared", "aws_efs_file_system", ["create", "delete"]),
        change("aws_vpc.network_vpc_7065E1BC", "aws_vpc", ["delete", "create"]),
        change("aws_route.nat", "aws_route", ["delete"]),
        change("aws_launch_template.workers", "aws_launch_template", ["update"]),
        change("aws_instance.replaced", "aws_instance", ["delete", "create"]),
      ],
    });
    expect(planRisks(summary.changes).map((r) => [r.address, r.why.split(":")[0]])).toEqual([
      ["aws_db_instance.datastore", "the datastore (RDS) is replaced"],
      ["module.x.aws_efs_file_system.shared", "the EFS file system is replaced"],
      ["aws_vpc.network_vpc_7065E1BC", "the VPC is replaced"],
      ["aws_route.nat", "destroyed"],
    ]);
  });
});

const block = (address: string, body: string[]) =>
  [`  # ${address} will be created`, `  + resource "x" "y" {`, ...body, "    }"].join("\n");

describe("planBlocks and orderForReview", () => {
  const text = [
    "Terraform will perform the following actions:",
    "",
    block("aws_autoscaling_group.workers", ['      + name = "dev-workers"']),
    "",
    block("aws_iam_role.nodes", ['      + name = "dev-nodes"']),
    "",
    block("aws_lb_listener.api", ["      + port = 6443"]),
    "",
    block("aws_vpc_security_group_ingress_rule.api_from_admin", [
      '      + cidr_ipv4 = "203.0.113.7/32"',
    ]),
    "",
    "Plan: 4 to add, 0 to change, 0 to destroy.",
  ].join("\n");

  it("puts rules, then listeners, then IAM, then the rest, by type", () => {
    const { blocks, tail } = planBlocks(text);
    expect(orderForReview(blocks).map((b) => b.address)).toEqual([
      "aws_vpc_security_group_ingress_rule.api_from_admin",
      "aws_lb_listener.api",
      "aws_iam_role.nodes",
      "aws_autoscaling_group.workers",
    ]);
    expect(tail).toBe("Plan: 4 to add, 0 to change, 0 to destroy.");
  });

  it("folds only the values known after apply, not changes to them", () => {
    const compact = compactBlock(
      [
        "  # aws_lb.api will be updated in-place",
        '  ~ resource "aws_lb" "api" {',
        "      + arn           = (known after apply)",
        '      ~ dns_name      = "a.example" -> (known after apply)',
        '        name          = "dev-api"',
        "    }",
      ].join("\n"),
    );
    expect(compact).not.toContain("+ arn");
    expect(compact).toContain('~ dns_name      = "a.example" -> (known after apply)');
    expect(compact).toContain("# (1 attribute known only after apply hidden)\n    }");
  });
});
