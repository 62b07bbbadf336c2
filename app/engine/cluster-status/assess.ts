/**
 * What a status document means for a cluster's definition: is it ready, what is still missing
 * or stuck, and a one-line summary ("servers 3/3 · workers 2/3 · add-ons 5/6 · Argo CD Synced").
 *
 * Ready = the API answers; `controlPlane.count` servers and at least `workers.min` (≥ 1) workers
 * are Ready and not cordoned; every add-on the definition installs has its HelmChart installed
 * (the add-on registry, infra/addons/, decides which); Argo CD's root Application, when reported, is
 * Synced and Healthy; Jenkins, when installed, is ready. Nodes beyond those counts that are
 * cordoned or NotReady are a rolling replacement in progress: shown, not waited for.
 */
import type { ClusterConfig } from "../../../infra/definition/config";
import type { ChartStatus, ClusterStatus } from "./document";

export type StatusExpectation = Pick<ClusterConfig, "controlPlane" | "workers" | "addons"> & {
  storage?: { efs?: boolean };
};

/** The HelmCharts (metadata.name) the definition installs, as the bootstrap renders them. */
export function expectedCharts(config: StatusExpectation): string[] {
  const charts = ["aws-cloud-controller-manager"];
  if (config.storage?.efs) charts.push("aws-efs-csi-driver");
  if (config.workers.scaling === "clusterAutoscaler") charts.push("cluster-autoscaler");
  if (config.addons.ingress === "nginx") charts.push("nginx-ingress");
  if (config.addons.argocd) charts.push("argo-cd");
  if (config.addons.jenkins) charts.push("jenkins");
  return charts;
}

export interface Assessment {
  ready: boolean;
  /** One line for a check run's title. */
  summary: string;
  /** What is not ready yet, one short phrase each. */
  waitingFor: string[];
  /** Add-ons whose install is failing or failed (with their log tail). */
  failing: ChartStatus[];
  /** Nodes being replaced (cordoned, or NotReady beyond the wanted counts). */
  leaving: string[];
}

export function assess(status: ClusterStatus, config: StatusExpectation): Assessment {
  const wantServers = config.controlPlane.count;
  const wantWorkers = Math.max(1, config.workers.min);
  const usable = (role: "server" | "agent") =>
    status.nodes.filter((n) => n.role === role && n.ready && !n.cordoned).length;
  const servers = usable("server");
  const workers = usable("agent");
  const leaving = status.nodes.filter((n) => n.cordoned).map((n) => n.name);

  const wanted = expectedCharts(config);
  const byName = new Map(status.charts.map((c) => [c.name, c]));
  const installed = wanted.filter((name) => byName.get(name)?.state === "installed");
  const failing = status.charts.filter((c) => c.state === "failing" || c.state === "failed");

  const waitingFor: string[] = [];
  if (status.api !== "up") waitingFor.push("the Kubernetes API");
  if (servers < wantServers) waitingFor.push(`servers ${servers}/${wantServers} Ready`);
  if (workers < wantWorkers) waitingFor.push(`workers ${workers}/${wantWorkers} Ready`);
  for (const name of wanted.filter((n) => !installed.includes(n)))
    waitingFor.push(`add-on ${name} (${byName.get(name)?.state ?? "not created yet"})`);
  const argo = status.argocd;
  if (config.addons.argocd && argo && (argo.sync !== "Synced" || argo.health !== "Healthy"))
    waitingFor.push(`Argo CD root application (${argo.sync}, ${argo.health})`);
  if (config.addons.jenkins && status.jenkins?.ready !== true) waitingFor.push("Jenkins");
  if (status.cut.includes("all")) waitingFor.push("a complete status report");

  const parts = [
    `servers ${servers}/${wantServers}`,
    `workers ${workers}/${wantWorkers}${config.workers.max > wantWorkers ? `–${config.workers.max}` : ""}`,
    `add-ons ${installed.length}/${wanted.length}`,
  ];
  if (config.addons.argocd) parts.push(`Argo CD ${argo ? `${argo.sync}/${argo.health}` : "–"}`);
  if (config.addons.jenkins) parts.push(`Jenkins ${status.jenkins?.ready ? "ready" : "not ready"}`);
  if (leaving.length > 0) parts.push(`${leaving.length} node(s) being replaced`);
  if (status.api !== "up") parts.unshift("API not answering");
  return {
    ready: waitingFor.length === 0,
    summary: parts.join(" · "),
    waitingFor,
    failing,
    leaving,
  };
}
