/**
 * The status document as untrusted input (any server of the cluster can write anything to it),
 * what it means for a definition, and how it is shown: closed enums, bounded strings, nothing
 * from a node rendered as Markdown, a mention or a link; secrets redacted.
 */
import { describe, expect, it } from "vitest";
import {
  block,
  inline,
  lastReportedLine,
  statusDetail,
} from "../../../app/bot/cluster-status-text";
import { demoReadiness } from "../../../app/cli/demo-status";
import { assess, expectedCharts } from "../../../app/engine/cluster-status/assess";
import {
  parseStatusDocument,
  StatusDocumentError,
} from "../../../app/engine/cluster-status/document";
import { watchUntilReady } from "../../../app/engine/cluster-status/watch";
import { loadDefinitionFile } from "../../../app/engine/definitions/load";

const expectation = {
  controlPlane: { count: 3 },
  workers: { min: 2, max: 4, scaling: "clusterAutoscaler" },
  addons: { ingress: "nginx", jenkins: true, argocd: true },
  storage: { efs: true },
} as never;

const AT = "2026-11-29T10:00:00Z";
const doc = (extra: object = {}) =>
  JSON.stringify({
    v: 1,
    cluster: "prod",
    at: AT,
    reporter: "ip-10-0-1-10",
    api: "up",
    nodes: [
      ...[1, 2, 3].map((i) => ({
        name: `s${i}`,
        role: "server",
        ready: true,
        version: "v1.33.5+k3s1",
      })),
      { name: "w1", role: "agent", ready: true, version: "v1.33.5+k3s1" },
      { name: "w2", role: "agent", ready: true, version: "v1.33.5+k3s1" },
      { name: "w-old", role: "agent", ready: true, cordoned: true, version: "v1.33.4+k3s1" },
    ],
    charts: [
      "aws-cloud-controller-manager",
      "aws-efs-csi-driver",
      "cluster-autoscaler",
      "nginx-ingress",
      "argo-cd",
      "argocd-root",
      "jenkins",
    ].map((name) => ({ name, state: "installed", since: AT })),
    argocd: { sync: "Synced", health: "Healthy" },
    jenkins: { ready: true },
    cut: [],
    ...extra,
  });

describe("the status document", () => {
  it("refuses what is not a version 1 document", () => {
    for (const bad of [
      "",
      "null",
      "[]",
      '{"v":2,"at":"2026-11-29T10:00:00Z"}',
      '{"v":1,"at":"yesterday"}',
    ])
      expect(() => parseStatusDocument(bad)).toThrow(StatusDocumentError);
  });

  it("keeps only known values: no free text reaches a summary", () => {
    const status = parseStatusDocument(
      doc({
        argocd: { sync: "@everyone", health: "[click](https://evil.example)" },
        charts: [
          { name: "x", state: "<script>" },
          { name: "jenkins", state: "installed", attempts: "lots" },
        ],
        nodes: [{ name: 42 }, { name: "n".repeat(500), role: "root", ready: "yes" }],
      }),
    );
    expect(status.argocd).toEqual({ sync: "Unknown", health: "Unknown" });
    expect(status.charts).toEqual([{ name: "jenkins", state: "installed" }]);
    expect(status.nodes).toEqual([
      { name: "n".repeat(120), role: "agent", ready: false, version: "", cordoned: false },
    ]);
  });
});

describe("assessing a report against the definition", () => {
  it("is ready when every wanted node, add-on, Argo CD and Jenkins is; a cordoned node is a replacement", () => {
    expect(expectedCharts(expectation)).toEqual([
      "aws-cloud-controller-manager",
      "aws-efs-csi-driver",
      "cluster-autoscaler",
      "nginx-ingress",
      "argo-cd",
      "jenkins",
    ]);
    const a = assess(parseStatusDocument(doc()), expectation);
    expect(a.ready).toBe(true);
    expect(a.summary).toBe(
      "servers 3/3 · workers 2/2–4 · add-ons 6/6 · Argo CD Synced/Healthy · Jenkins ready · 1 node(s) being replaced",
    );
    expect(a.leaving).toEqual(["w-old"]);
  });

  it("names what it waits for", () => {
    const a = assess(
      parseStatusDocument(
        doc({
          api: "down",
          argocd: { sync: "OutOfSync", health: "Degraded" },
          jenkins: { ready: false },
          charts: [{ name: "nginx-ingress", state: "failing", attempts: 3, log: "boom" }],
        }),
      ),
      expectation,
    );
    expect(a.ready).toBe(false);
    expect(a.waitingFor).toEqual([
      "the Kubernetes API",
      "add-on aws-cloud-controller-manager (not created yet)",
      "add-on aws-efs-csi-driver (not created yet)",
      "add-on cluster-autoscaler (not created yet)",
      "add-on nginx-ingress (failing)",
      "add-on argo-cd (not created yet)",
      "add-on jenkins (not created yet)",
      "Argo CD root application (OutOfSync, Degraded)",
      "Jenkins",
    ]);
    expect(a.failing.map((c) => c.name)).toEqual(["nginx-ingress"]);
  });
});

describe("showing a report", () => {
  it("keeps node text in code spans and logs in a fence they cannot close, redacted", () => {
    expect(inline("a`b @team\n[x](y)")).toBe("`a'b @team [x](y)`");
    const fenced = block("```\n@everyone\npassword=hunter2");
    expect(fenced.startsWith("````text\n")).toBe(true);
    expect(fenced).not.toContain("hunter2");
    const status = parseStatusDocument(
      doc({ nodes: [{ name: "@team", role: "agent", ready: false, version: "v1" }] }),
    );
    const detail = statusDetail(status, assess(status, expectation), Date.parse(AT) + 5_000);
    expect(detail).toContain("| `@team` | agent | **NotReady** |");
    expect(detail).toContain("Reported 5 s ago");
  });

  it("the plan comment's line says when the cluster last reported and whether it was healthy", () => {
    const status = parseStatusDocument(doc());
    const now = Date.parse(AT) + 3 * 60_000;
    expect(
      lastReportedLine({ kind: "reported", status }, assess(status, expectation), now),
    ).toMatch(/^Cluster status: last reported 3 min 0 s ago, healthy — servers 3\/3/);
    expect(lastReportedLine({ kind: "none" }, undefined, now)).toContain("no report yet");
  });
});

describe("the watch", () => {
  it("polls with backoff until the deadline, without sleeping past it", async () => {
    let clock = 1_000_000;
    const sleeps: number[] = [];
    const outcome = await watchUntilReady({
      read: async () => ({ kind: "none" }),
      cluster: { name: "prod", region: "eu-central-1" },
      expect: expectation,
      state: { appliedAt: clock, deadline: clock + 200_000, phases: { applied: clock } },
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    expect(outcome?.kind).toBe("timeout");
    expect(sleeps.slice(0, 5)).toEqual([10_000, 15_000, 22_500, 33_750, 50_625]);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(60_000);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(200_000);
  });
});

describe("the demo on the emulator", () => {
  it("says plainly that readiness cannot be observed, and labels its example as made up", () => {
    const loaded = loadDefinitionFile("examples/clusters/dev.yaml");
    if (!loaded.ok) throw new Error("examples/clusters/dev.yaml does not load");
    const text = demoReadiness(loaded.config, "examples/clusters/dev.yaml");
    expect(text.split("\n")[0]).toBe(
      "No instances run on the emulator, so no server reports and readiness cannot be observed here.",
    );
    expect(text).toContain(
      "ILLUSTRATIVE EXAMPLE: made up to show the format, not measured and not from this run:",
    );
    expect(text.indexOf("ILLUSTRATIVE")).toBeLessThan(text.indexOf("Ready in"));
  });
});
