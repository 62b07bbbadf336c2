/**
 * A worker whose bootstrap fails marks itself Unhealthy so its Auto Scaling group replaces it
 * (under `scaling: cpu` the group checks EC2 status only and would keep it InService forever).
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ARN, argvOf, type Call, deliveredUserData, FakeWorld, haParams } from "./world";

let world: FakeWorld;
beforeEach(() => {
  world = new FakeWorld();
});
afterEach(() => world.cleanup());

const cpuParams = () =>
  haParams({
    workers: {
      autoScalingGroupName: "prod-workers",
      scaling: "cpu",
      lifecycleHookName: "prod-workers-drain",
      drainTimeoutSeconds: 300,
    },
  });

const healthCalls = (calls: Call[]) =>
  argvOf(calls, "aws").filter((argv) => argv.includes("set-instance-health"));

describe("worker bootstrap failure", () => {
  it("marks its own instance Unhealthy, without waiting out the grace period, and still exits non-zero", async () => {
    world.createSecret(ARN.agent, "0123456789abcdef");
    world.setApi("down");
    const node = world.node();
    const result = await world.run(node, deliveredUserData("agent", cpuParams()));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("FATAL: API");
    expect(result.stderr).toContain("marking this instance Unhealthy");
    expect(healthCalls(result.calls)).toEqual([
      [
        "--region",
        "eu-central-1",
        "autoscaling",
        "set-instance-health",
        "--instance-id",
        node.instanceId,
        "--health-status",
        "Unhealthy",
        "--no-should-respect-grace-period",
      ],
    ]);
    expect(result.calls.some((c) => c.cmd === "k3s-install")).toBe(false);
  });

  it("marks itself Unhealthy when the failure comes before the instance identity is known", async () => {
    // IMDS without the hostname: load_instance_identity fails before INSTANCE_ID is set.
    world.createSecret(ARN.agent, "0123456789abcdef");
    const node = world.node();
    writeFileSync(
      path.join(world.dir, node.name, "imds.json"),
      JSON.stringify({ "instance-id": node.instanceId, "placement/availability-zone": node.az }),
    );
    const result = await world.run(node, deliveredUserData("agent", cpuParams()));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("cannot read local-hostname from IMDS");
    expect(healthCalls(result.calls).map((argv) => argv[5])).toEqual([node.instanceId]);
  });

  it("a worker that joins leaves its health alone", async () => {
    world.createSecret(ARN.agent, "0123456789abcdef");
    const node = world.node();
    const result = await world.run(node, deliveredUserData("agent", cpuParams()));
    expect(result.code, result.stderr).toBe(0);
    expect(healthCalls(result.calls)).toEqual([]);
  });
});
