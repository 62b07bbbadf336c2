import { describe, expect, it } from "vitest";
import { exampleConfig, listOf, oneOf, referencedName, synthesize } from "./helpers";

describe("EFS", () => {
  const dev = synthesize(exampleConfig("dev")).json;

  it("is encrypted, elastic, backed up, with a mount target per private subnet", () => {
    expect(oneOf(dev, "aws_efs_file_system", "storage")).toMatchObject({
      encrypted: true,
      throughput_mode: "elastic",
    });
    expect(oneOf(dev, "aws_efs_backup_policy", "storage").backup_policy).toEqual({
      status: "ENABLED",
    });
    const targets = listOf(dev, "aws_efs_mount_target");
    expect(targets.map((target) => referencedName(target.subnet_id))).toEqual([
      expect.stringContaining("private-subnet-eu-central-1a"),
      expect.stringContaining("private-subnet-eu-central-1b"),
      expect.stringContaining("private-subnet-eu-central-1c"),
    ]);
    for (const target of targets) {
      expect((target.security_groups as string[]).map(referencedName)).toEqual([
        expect.stringContaining("_efs_"),
      ]);
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
