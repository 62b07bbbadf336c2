/**
 * Runs the real scale-in drain (the termination hook the server bootstrap installs) with bash
 * against stub commands and a fake IMDS / Secrets Manager / API (world.ts): cordon, drain,
 * then complete the lifecycle action, in that order, also when the drain times out.
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { DB_SECRET } from "./expectations";
import { ARN, type Call, deliveredUserData, haParams, worldPerTest } from "./world";

const world = worldPerTest();

describe("termination hook (scale-in drain on a server)", () => {
  async function bootedServer() {
    world.createSecret(ARN.db, DB_SECRET);
    const node = world.node();
    const boot = await world.run(node, deliveredUserData("server", haParams()));
    expect(boot.code, boot.stderr).toBe(0);
    return { node, before: boot.calls.length };
  }
  const drainScript = (root: string) => path.join(root, "opt/k3s-bot/drain-on-terminate.sh");

  it("cordons, drains with the timeout, then completes the lifecycle action, in that order", async () => {
    const { node, before } = await bootedServer();
    const worker = "i-0feedfacecafe0001";
    const result = await world.exec(node, [drainScript(node.root)], {
      STUB_TERMINATING: worker,
      STUB_NODES: `ip-10-30-9-10.eu-central-1.compute.internal aws:///eu-central-1c/${worker}\nip-10-30-8-10.eu-central-1.compute.internal aws:///eu-central-1b/i-0other\n`,
    });
    expect(result.code, result.stderr).toBe(0);
    const calls = result.calls.slice(before).filter((c) => c.cmd === "aws" || c.cmd === "kubectl");
    expect(calls.map((c) => [c.cmd, ...c.argv])).toEqual([
      [
        "aws",
        "--region",
        "eu-central-1",
        "autoscaling",
        "describe-auto-scaling-groups",
        "--auto-scaling-group-names",
        "prod-workers",
        "--query",
        "AutoScalingGroups[0].Instances[?LifecycleState=='Terminating:Wait'].InstanceId",
        "--output",
        "text",
      ],
      [
        "kubectl",
        "get",
        "nodes",
        "-o",
        'jsonpath={range .items[*]}{.metadata.name}{" "}{.spec.providerID}{"\\n"}{end}',
      ],
      ["kubectl", "cordon", "ip-10-30-9-10.eu-central-1.compute.internal"],
      [
        "kubectl",
        "drain",
        "ip-10-30-9-10.eu-central-1.compute.internal",
        "--ignore-daemonsets",
        "--delete-emptydir-data",
        "--force",
        "--timeout=300s",
      ],
      [
        "aws",
        "--region",
        "eu-central-1",
        "autoscaling",
        "complete-lifecycle-action",
        "--auto-scaling-group-name",
        "prod-workers",
        "--lifecycle-hook-name",
        "prod-workers-drain",
        "--instance-id",
        worker,
        "--lifecycle-action-result",
        "CONTINUE",
      ],
    ]);
    // kubectl runs with the server's admin kubeconfig.
    for (const c of calls.filter((x) => x.cmd === "kubectl")) {
      expect(c.env.KUBECONFIG).toBe(path.join(node.root, "etc/rancher/k3s/k3s.yaml"));
    }
  });

  it("still completes the lifecycle action when the drain times out", async () => {
    const { node, before } = await bootedServer();
    const worker = "i-0feedfacecafe0002";
    const result = await world.exec(node, [drainScript(node.root)], {
      STUB_TERMINATING: worker,
      STUB_NODES: `ip-10-30-9-11.eu-central-1.compute.internal aws:///eu-central-1c/${worker}\n`,
      STUB_DRAIN_EXIT: "1",
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("did not finish within 300s; terminating anyway");
    const ops = result.calls
      .slice(before)
      .map((c) => `${c.cmd} ${c.argv[0] === "--region" ? c.argv[3] : c.argv[0]}`);
    expect(ops.slice(-3)).toEqual([
      "kubectl cordon",
      "kubectl drain",
      "aws complete-lifecycle-action",
    ]);
  });

  describe("a leaving server (instance refresh), with the control-plane hook", () => {
    async function bootedServerWithHook() {
      world.createSecret(ARN.db, DB_SECRET);
      const node = world.node();
      const params = haParams({ controlPlaneLifecycleHookName: "prod-server-drain" });
      const boot = await world.run(node, deliveredUserData("server", params));
      expect(boot.code, boot.stderr).toBe(0);
      return { node, before: boot.calls.length };
    }
    const leaving = "i-0feedfacecafe0003";
    const nodes = `ip-10-30-1-10.eu-central-1.compute.internal aws:///eu-central-1a/${leaving}\n`;
    const ops = (calls: Call[]) =>
      calls
        .filter((c) => c.cmd === "aws" || c.cmd === "kubectl")
        .map((c) => [c.cmd, ...(c.argv[0] === "--region" ? c.argv.slice(2) : c.argv)].join(" "));

    it("drains it, deletes its node (k3s removes its etcd member), then lets it go", async () => {
      const { node, before } = await bootedServerWithHook();
      const result = await world.exec(node, [drainScript(node.root)], {
        STUB_TERMINATING: "",
        STUB_TERMINATING_SERVERS: leaving,
        STUB_NODES: nodes,
      });
      expect(result.code, result.stderr).toBe(0);
      const server = "ip-10-30-1-10.eu-central-1.compute.internal";
      expect(ops(result.calls.slice(before)).slice(1)).toEqual([
        expect.stringContaining(
          "describe-auto-scaling-groups --auto-scaling-group-names prod-control-plane",
        ),
        expect.stringContaining("kubectl get nodes"),
        `kubectl cordon ${server}`,
        `kubectl drain ${server} --ignore-daemonsets --delete-emptydir-data --force --timeout=300s`,
        `kubectl delete node ${server} --timeout=300s`,
        `aws autoscaling complete-lifecycle-action --auto-scaling-group-name prod-control-plane --lifecycle-hook-name prod-server-drain --instance-id ${leaving} --lifecycle-action-result CONTINUE`,
      ]);
    });

    it("does not say the server may go while its node (and etcd member) is still there", async () => {
      const { node, before } = await bootedServerWithHook();
      const result = await world.exec(node, [drainScript(node.root)], {
        STUB_TERMINATING: "",
        STUB_TERMINATING_SERVERS: leaving,
        STUB_NODES: nodes,
        STUB_DELETE_EXIT: "1",
      });
      expect(result.code).toBe(0);
      expect(result.stderr).toContain("not completing the lifecycle action");
      expect(
        ops(result.calls.slice(before)).some((op) => op.includes("complete-lifecycle-action")),
      ).toBe(false);
    });

    it("leaves its own termination to the other servers", async () => {
      const { node, before } = await bootedServerWithHook();
      const result = await world.exec(node, [drainScript(node.root)], {
        STUB_TERMINATING: "",
        STUB_TERMINATING_SERVERS: node.instanceId,
        STUB_NODES: `ip-10-30-1-11.eu-central-1.compute.internal aws:///eu-central-1a/${node.instanceId}\n`,
      });
      expect(result.code, result.stderr).toBe(0);
      const after = ops(result.calls.slice(before));
      expect(after.filter((op) => op.startsWith("kubectl"))).toEqual([]);
      expect(after.some((op) => op.includes("complete-lifecycle-action"))).toBe(false);
    });

    it("without the hook configured, looks at the workers only", async () => {
      const { node, before } = await bootedServer();
      const result = await world.exec(node, [drainScript(node.root)], {
        STUB_TERMINATING: "",
        STUB_TERMINATING_SERVERS: leaving,
      });
      expect(result.code).toBe(0);
      expect(ops(result.calls.slice(before))).toEqual([
        expect.stringContaining("--auto-scaling-group-names prod-workers"),
      ]);
    });
  });

  it("does nothing when no worker is terminating", async () => {
    const { node, before } = await bootedServer();
    const result = await world.exec(node, [drainScript(node.root)], { STUB_TERMINATING: "" });
    expect(result.code).toBe(0);
    expect(result.calls.slice(before).map((c) => c.cmd)).toEqual(["aws"]);
  });
});
