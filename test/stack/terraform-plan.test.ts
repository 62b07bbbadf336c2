/**
 * The real thing, short of AWS: both examples synthesized, `terraform validate`d and planned with
 * Terraform 1.11 and the AWS provider 5.100.0 from the filesystem mirror. The plan runs offline
 * (local state, placeholder credentials), which only works because the stack needs no AWS call
 * to plan; a data source that called AWS would make this test fail.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadDefinitionFile } from "../../app/engine/definitions/load";
import { offlineStackOptions } from "../../app/engine/plan/offline";
import { planCluster } from "../../app/engine/plan/plan-cluster";
import { requireTerraform } from "../support/tools";

const examples = ["examples/clusters/dev.yaml", "examples/clusters/ha.yaml"];
const workRoot = mkdtempSync(join(tmpdir(), "k3s-bot-plan-test-"));
afterAll(() => rmSync(workRoot, { recursive: true, force: true }));

describe.each(examples)("%s with the real AWS provider", (file) => {
  it("validates and plans, creating every resource it synthesizes", async () => {
    requireTerraform();
    const loaded = loadDefinitionFile(file);
    if (!loaded.ok) throw new Error(`example does not load: ${JSON.stringify(loaded.problems)}`);
    const workDir = join(workRoot, loaded.config.name);
    const result = await planCluster({
      config: loaded.config,
      workDir,
      stackOptions: offlineStackOptions(workDir),
      validate: true,
      context: { definitionFile: file, offline: true },
    });

    // Every synthesized resource appears in the plan as a create, nothing else.
    expect(result.summary.add).toBe(result.resourceCount);
    expect(result.summary.change).toBe(0);
    expect(result.summary.destroy).toBe(0);
    expect(result.markdown).toContain(
      `Plan: ${result.resourceCount} to add, 0 to change, 0 to destroy.`,
    );
    for (const type of [
      "aws_vpc",
      "aws_lb",
      "aws_autoscaling_group",
      "aws_launch_template",
      "aws_efs_file_system",
      "aws_db_instance",
    ]) {
      expect(result.summary.byType.map((t) => t.type)).toContain(type);
    }

    const synthesized = readFileSync(join(workDir, "cdk.tf.json"), "utf8");
    expect(synthesized).not.toMatch(/"data"\s*:/);
    console.info(
      `${loaded.config.name}: ${result.resourceCount} resources; synth ${result.timings.synthMs} ms, init ${result.timings.initMs} ms, validate ${result.timings.validateMs} ms, plan ${result.timings.planMs} ms`,
    );
  }, 300_000);
});
