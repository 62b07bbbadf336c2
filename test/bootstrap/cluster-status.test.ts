/**
 * The servers' status reporter (cluster-status.sh + cluster-status.py), run from the real user
 * data against the stub world: kubectl answers from JSON files shaped like the API's, and the
 * aws stub keeps SSM parameters and refuses a standard-tier value over 4096 characters.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ARN,
  argvOf,
  deliveredUserData,
  type FakeNode,
  type FakeWorld,
  haParams,
  worldWithSecrets,
} from "./world";

const PARAMETER = "/k3s-bot/prod/status";

let world: FakeWorld;
let kube: string;
let ssm: string;
beforeEach(() => {
  world = worldWithSecrets();
  world.createSecret(ARN.db, JSON.stringify({ username: "k3sadmin", password: "pw" }));
  kube = path.join(world.dir, "kube");
  ssm = path.join(world.dir, "ssm");
});
afterEach(() => world.cleanup());

const T0 = "2026-11-29T10:00:00Z";

function node(name: string, role: "server" | "agent", ready: boolean, extra: object = {}) {
  return {
    metadata: {
      name,
      creationTimestamp: T0,
      labels: role === "server" ? { "node-role.kubernetes.io/control-plane": "true" } : {},
    },
    spec: extra,
    status: {
      nodeInfo: { kubeletVersion: "v1.33.5+k3s1" },
      conditions: [
        { type: "MemoryPressure", status: "False" },
        {
          type: "Ready",
          status: ready ? "True" : "False",
          lastTransitionTime: "2026-11-29T10:03:00Z",
        },
      ],
    },
  };
}

function chart(name: string) {
  return {
    metadata: { name, namespace: "kube-system" },
    status: {
      jobName: `helm-install-${name}`,
      conditions: [
        { type: "JobCreated", status: "True" },
        { type: "Failed", status: "False" },
      ],
    },
  };
}

function job(name: string, status: object) {
  return { metadata: { name: `helm-install-${name}`, namespace: "kube-system" }, status };
}

function writeKube(files: Record<string, unknown>, logs: Record<string, string> = {}) {
  fs.mkdirSync(path.join(kube, "logs"), { recursive: true });
  for (const [name, value] of Object.entries(files))
    fs.writeFileSync(path.join(kube, `${name}.json`), JSON.stringify(value));
  for (const [name, text] of Object.entries(logs))
    fs.writeFileSync(path.join(kube, "logs", `${name}.log`), text);
}

const healthyCluster = () => ({
  nodes: {
    items: [
      node("ip-10-0-1-10", "server", true),
      node("ip-10-0-2-10", "server", true),
      node("ip-10-0-3-10", "agent", true),
      node("ip-10-0-3-11", "agent", false),
    ],
  },
  "helmcharts.helm.cattle.io": { items: [chart("argo-cd"), chart("jenkins")] },
  jobs: {
    items: [
      job("argo-cd", { succeeded: 1, completionTime: "2026-11-29T10:06:00Z" }),
      job("jenkins", { failed: 3 }),
    ],
  },
  "applications.argoproj.io": {
    status: {
      sync: { status: "Synced" },
      health: { status: "Degraded", message: "Deployment web has 0/2 ready" },
    },
  },
  "statefulsets.apps": { spec: { replicas: 1 }, status: { readyReplicas: 0 } },
});

async function bootAndReport(
  env: Record<string, string> = {},
): Promise<{ node: FakeNode; code: number | null; stderr: string }> {
  const n = world.node();
  const boot = await world.run(n, deliveredUserData("server", haParams()), { STUB_SSM: ssm });
  expect(boot.code, boot.stderr).toBe(0);
  const run = await world.exec(n, [path.join(n.root, "opt/k3s-bot/cluster-status.sh")], {
    STUB_KUBE: kube,
    STUB_SSM: ssm,
    ...env,
  });
  return { node: n, code: run.code, stderr: run.stderr };
}

function stored(): Record<string, unknown> & { cut: string[] } {
  const text = fs.readFileSync(path.join(ssm, PARAMETER.replaceAll("/", "_")), "utf8");
  expect(text.length).toBeLessThanOrEqual(4096);
  return JSON.parse(text);
}

describe("cluster status reporter", () => {
  it("is installed on servers with its timer, started before k3s, and never on workers", async () => {
    const server = deliveredUserData("server", haParams());
    expect(server).toContain("/opt/k3s-bot/cluster-status.sh");
    expect(server).toContain("/etc/systemd/system/k3s-bot-status.timer");
    expect(server).toContain(`K3S_BOT_STATUS_PARAMETER='${PARAMETER}'`);
    expect(deliveredUserData("agent", haParams())).not.toContain("cluster-status");
    const n = world.node();
    const boot = await world.run(n, server, { STUB_SSM: ssm });
    expect(boot.code, boot.stderr).toBe(0);
    const systemctl = argvOf(boot.calls, "systemctl").map((a) => a.join(" "));
    const installer = boot.calls.findIndex((c) => c.cmd === "k3s-install");
    const enabled = boot.calls.findIndex(
      (c) => c.cmd === "systemctl" && c.argv.join(" ") === "enable --now k3s-bot-status.timer",
    );
    expect(systemctl).toContain("enable --now k3s-bot-status.timer");
    expect(enabled).toBeLessThan(installer);
  });

  it("reports nodes ready and not, a failing chart with its log tail, Argo CD degraded, Jenkins not ready", async () => {
    writeKube(healthyCluster(), {
      "helm-install-jenkins": [
        ...Array.from({ length: 30 }, (_, i) => `line ${i}`),
        "Error: INSTALLATION FAILED: timed out waiting for the condition",
        "admin password=hunter2-very-secret",
      ].join("\n"),
    });
    const { code, stderr } = await bootAndReport();
    expect(code, stderr).toBe(0);
    const doc = stored();
    expect(doc).toMatchObject({
      v: 1,
      cluster: "prod",
      api: "up",
      nodes: [
        {
          name: "ip-10-0-1-10",
          role: "server",
          ready: true,
          version: "v1.33.5+k3s1",
          since: "2026-11-29T10:03:00Z",
        },
        { name: "ip-10-0-2-10", role: "server", ready: true },
        { name: "ip-10-0-3-10", role: "agent", ready: true },
        { name: "ip-10-0-3-11", role: "agent", ready: false },
      ],
      charts: [
        { name: "argo-cd", state: "installed", since: "2026-11-29T10:06:00Z" },
        { name: "jenkins", state: "failing", attempts: 3 },
      ],
      argocd: { sync: "Synced", health: "Degraded", message: "Deployment web has 0/2 ready" },
      jenkins: { ready: false },
      cut: [],
    });
    const log = (doc.charts as Array<{ log?: string }>)[1]?.log ?? "";
    expect(log).toContain("INSTALLATION FAILED");
    expect(log).not.toContain("line 5\n");
    expect(log).not.toContain("hunter2");
    expect(log).toContain("password=<redacted>");
  });

  it("with no API yet still reports, saying the API is down", async () => {
    const { code, stderr } = await bootAndReport({
      STUB_KUBE: path.join(world.dir, "no-such-dir"),
    });
    expect(code, stderr).toBe(0);
    expect(stored()).toMatchObject({ api: "down", nodes: [], charts: [] });
  });

  it("a chart whose Job cannot be generated is failed, with the controller's message", async () => {
    const broken = chart("nginx-ingress");
    broken.status.conditions = [
      { type: "JobCreated", status: "False" },
      { type: "Failed", status: "True", message: "Failed to generate Job: bad values" } as never,
    ];
    writeKube({
      nodes: { items: [] },
      "helmcharts.helm.cattle.io": { items: [broken] },
      jobs: { items: [] },
    });
    const { code, stderr } = await bootAndReport();
    expect(code, stderr).toBe(0);
    expect(stored().charts).toEqual([
      { name: "nginx-ingress", state: "failed", message: "Failed to generate Job: bad values" },
    ]);
  });

  it("cuts a document too large for the standard tier, and says what it cut", async () => {
    const cluster = healthyCluster();
    cluster.nodes.items = Array.from({ length: 60 }, (_, i) =>
      node(`ip-10-0-${i}-10.eu-central-1.compute.internal`, i < 3 ? "server" : "agent", i !== 40),
    );
    writeKube(cluster, { "helm-install-jenkins": "x".repeat(5000) });
    const { code, stderr } = await bootAndReport();
    expect(code, stderr).toBe(0);
    const doc = stored();
    expect(doc.cut.length).toBeGreaterThan(0);
    // What matters survives: every server, the NotReady worker, the failing chart.
    const names = (doc.nodes as Array<{ name: string; ready: boolean }>).filter(
      (n) => !n.ready || n.name.startsWith("ip-10-0-0-"),
    );
    expect(names.map((n) => n.name)).toContain("ip-10-0-40-10.eu-central-1.compute.internal");
    expect((doc.charts as Array<{ state: string }>).map((c) => c.state)).toContain("failing");
  });

  it("a value the parameter store refuses fails the unit visibly (the stub enforces 4096)", async () => {
    const cluster = healthyCluster();
    cluster.nodes.items = Array.from({ length: 60 }, (_, i) =>
      node(`n${i}-${"x".repeat(40)}`, "agent", false),
    );
    writeKube(cluster);
    // Our own limit raised past the tier's: the store refuses, and the unit fails with its message.
    const { code, stderr } = await bootAndReport({ K3S_BOT_STATUS_LIMIT: "9000" });
    expect(code).not.toBe(0);
    expect(stderr).toContain("maximum parameter value of 4096 characters");
  });
});
