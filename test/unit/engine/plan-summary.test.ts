import { describe, expect, it } from "vitest";
import { planHeadline, summarizePlan } from "../../../app/engine/plan/summary";

const rc = (address: string, actions: string[], mode = "managed") => ({
  address,
  type: address.split(".")[0],
  mode,
  change: { actions },
});

describe("summarizePlan", () => {
  it("counts as Terraform does: a replacement is one add and one destroy", () => {
    const summary = summarizePlan({
      terraform_version: "1.11.4",
      resource_changes: [
        rc("aws_vpc.main", ["create"]),
        rc("aws_subnet.a", ["create"]),
        rc("aws_subnet.b", ["update"]),
        rc("aws_db_instance.k3s", ["delete", "create"]),
        rc("aws_efs_file_system.shared", ["delete"]),
        rc("aws_iam_role.x", ["no-op"]),
        rc("data.aws_ami.x", ["read"], "data"),
      ],
    });
    expect(planHeadline(summary)).toBe("Plan: 3 to add, 1 to change, 2 to destroy.");
    expect(summary.replace).toBe(1);
    expect(summary.destructive.map((c) => c.address)).toEqual([
      "aws_db_instance.k3s",
      "aws_efs_file_system.shared",
    ]);
    expect(summary.byType.find((t) => t.type === "aws_subnet")).toEqual({
      type: "aws_subnet",
      add: 1,
      change: 1,
      replace: 0,
      destroy: 0,
    });
    expect(summary.terraformVersion).toBe("1.11.4");
  });

  it("reports no changes when only no-ops and reads remain", () => {
    const summary = summarizePlan({ resource_changes: [rc("aws_vpc.main", ["no-op"])] });
    expect(summary.hasChanges).toBe(false);
    expect(planHeadline(summary)).toMatch(/^No changes\./);
  });

  it("counts output-only changes as changes", () => {
    const summary = summarizePlan({
      resource_changes: [],
      output_changes: { api_url: { actions: ["update"] } },
    });
    expect(summary.hasChanges).toBe(true);
    expect(summary.outputChanges).toEqual(["api_url"]);
  });
});
