/**
 * What the demo says about readiness: on the emulator no instance runs, so no server reports
 * and readiness cannot be observed. It shows, clearly labelled, an illustrative example of what
 * the apply comment's readiness section looks like (rendered by the bot's own code). The example
 * is made up, not a measurement: docs/time-to-ready.md has the expected times and their sources.
 */
import type { ClusterConfig } from "../../infra/definition/config";
import { statusParameterName } from "../../infra/naming";
import { nextSteps, statusDetail, timeToReady } from "../bot/cluster-status-text";
import { assess } from "../engine/cluster-status/assess";
import { parseStatusDocument } from "../engine/cluster-status/document";

/** An illustrative report (made up, not measured): one server, one worker, Argo CD and Jenkins. */
const EXAMPLE_AT = "2026-11-20T09:14:40Z";
const EXAMPLE = {
  v: 1,
  cluster: "dev",
  at: EXAMPLE_AT,
  reporter: "ip-10-20-1-34",
  api: "up",
  nodes: [
    { name: "ip-10-20-1-34", role: "server", ready: true, version: "v1.33.5+k3s1" },
    { name: "ip-10-20-2-71", role: "agent", ready: true, version: "v1.33.5+k3s1" },
  ],
  charts: [
    "argo-cd",
    "aws-cloud-controller-manager",
    "aws-efs-csi-driver",
    "jenkins",
    "nginx-ingress",
  ].map((name) => ({ name, state: "installed" })),
  argocd: { sync: "Synced", health: "Healthy" },
  jenkins: { ready: true },
  cut: [],
};

export function demoReadiness(config: ClusterConfig, definitionFile: string): string {
  const example = parseStatusDocument(JSON.stringify({ ...EXAMPLE, cluster: config.name }));
  const start = Date.parse(EXAMPLE_AT) - 14 * 60_000;
  return [
    "No instances run on the emulator, so no server reports and readiness cannot be observed here.",
    `On AWS the servers write their status to ${statusParameterName(config)} every 30 s, and the`,
    "bot keeps the apply check in progress until the cluster is ready (docs/time-to-ready.md).",
    "",
    "ILLUSTRATIVE EXAMPLE: made up to show the format, not measured and not from this run:",
    "",
    timeToReady(
      {
        applied: start + 3 * 60_000,
        firstServerUp: start + 6 * 60_000,
        allNodesReady: start + 8 * 60_000,
        addonsConverged: start + 14 * 60_000,
      },
      start,
      true,
    ),
    "",
    statusDetail(example, assess(example, config), Date.parse(EXAMPLE_AT) + 10_000),
    "",
    nextSteps(config.name, definitionFile, config.addons),
  ].join("\n");
}
