import { describe, expect, it } from "vitest";
import { exampleConfig, listOf, referencedName, resourceAt, synthesize } from "./helpers";

describe("EFS", () => {
  const dev = synthesize(exampleConfig("dev")).json;

  it("is encrypted, elastic, backed up, with a mount target per private subnet", () => {
    expect(resourceAt(dev, "aws_efs_file_system.shared")).toMatchObject({
      encrypted: true,
      throughput_mode: "elastic",
    });
    expect(resourceAt(dev, "aws_efs_backup_policy.shared").backup_policy).toEqual({
      status: "ENABLED",
    });
    const targets = listOf(dev, "aws_efs_mount_target");
    expect(targets.map((target) => referencedName(target.subnet_id))).toEqual([
      "private_eu_central_1a",
      "private_eu_central_1b",
      "private_eu_central_1c",
    ]);
    for (const target of targets) {
      expect((target.security_groups as string[]).map(referencedName)).toEqual(["efs"]);
    }
  });

  it("does not exist when storage.efs is off", () => {
    const json = synthesize(
      exampleConfig("dev", (c) => {
        c.storage.efs = false;
      }),
    ).json;
    expect(listOf(json, "aws_efs_file_system")).toEqual([]);
    expect(listOf(json, "aws_efs_mount_target")).toEqual([]);
    expect(json.output?.efs_id).toBeUndefined();
  });
});
