/**
 * How a cluster's self-reported status shows on a pull request: the apply check run's progress
 * line, the apply comment's "time to ready" section, `/k3s status`, and the plan comment's
 * "last reported" line. The document comes from the cluster's servers (untrusted: anyone
 * controlling a server can write it), so every string is redacted, kept to one line or put in a
 * code block it cannot close, and never rendered as Markdown, links or mentions.
 */
import { type Assessment, assess, type StatusExpectation } from "../engine/cluster-status/assess";
import type { ClusterStatus } from "../engine/cluster-status/document";
import type { StatusRead, StatusReader } from "../engine/cluster-status/read";
import type { Phases } from "../engine/cluster-status/watch";
import { redactSecrets } from "../engine/redact";
import { formatDuration } from "./comments";

/** One line of untrusted text in a code span: redacted, no backticks, no line breaks. */
export function inline(text: string): string {
  const clean = redactSecrets(text)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes.
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, " ")
    .replace(/`/g, "'")
    .trim();
  return `\`${clean.length > 0 ? clean : " "}\``;
}

/** A block of untrusted text in a fence longer than any run of backticks inside it. */
export function block(text: string): string {
  const clean = redactSecrets(text).replace(/[\u202a-\u202e\u2066-\u2069]/g, "");
  const longest = Math.max(2, ...[...clean.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}text\n${clean}\n${fence}`;
}

export function reportedAgo(at: string, now: number): string {
  const ms = Math.max(0, now - Date.parse(at));
  return ms < 90_000 ? `${Math.round(ms / 1000)} s ago` : `${formatDuration(ms)} ago`;
}

/** The detail of one report: nodes, add-ons, Argo CD, Jenkins, failing installs with logs. */
export function statusDetail(status: ClusterStatus, a: Assessment, now: number): string {
  const lines = [
    `Reported ${reportedAgo(status.at, now)} by ${inline(status.reporter)}; Kubernetes API ${status.api === "up" ? "answering" : "**not answering**"}.`,
  ];
  if (status.nodes.length > 0) {
    lines.push("", "| node | role | state | version |", "|---|---|---|---|");
    for (const n of status.nodes.slice(0, 30))
      lines.push(
        `| ${inline(n.name)} | ${n.role} | ${n.ready ? "Ready" : "**NotReady**"}${n.cordoned ? " (cordoned: being replaced)" : ""} | ${inline(n.version)} |`,
      );
    if (status.nodes.length > 30) lines.push(`| … ${status.nodes.length - 30} more | | | |`);
  }
  if (status.charts.length > 0)
    lines.push(
      "",
      `Add-ons: ${status.charts.map((c) => `${inline(c.name)} ${c.state}`).join(", ")}.`,
    );
  if (status.argocd)
    lines.push(
      "",
      `Argo CD root application: ${inline(status.argocd.sync)} / ${inline(status.argocd.health)}${status.argocd.message ? ` — ${inline(status.argocd.message)}` : ""}.`,
    );
  if (status.jenkins) lines.push("", `Jenkins: ${status.jenkins.ready ? "ready" : "not ready"}.`);
  for (const chart of a.failing) {
    lines.push(
      "",
      `**Add-on ${inline(chart.name)} ${chart.state}**${chart.attempts ? ` after ${chart.attempts} attempt(s)` : ""}${chart.message ? `: ${inline(chart.message)}` : ""}.`,
    );
    if (chart.log)
      lines.push("", "Last lines of its install job's log (redacted):", "", block(chart.log));
  }
  if (status.cut.length > 0)
    lines.push("", `_The report was cut to fit its store (${status.cut.map(inline).join(", ")})._`);
  return lines.join("\n");
}

/** The apply comment's closing section: time to ready and its phases. */
export function timeToReady(phases: Phases, applyStartedAt: number, ready: boolean): string {
  const at = (t: number | undefined) =>
    t === undefined ? "not yet" : `+${formatDuration(Math.max(0, t - applyStartedAt))}`;
  const last = phases.addonsConverged;
  return [
    ready && last !== undefined
      ? `**Ready in ${formatDuration(last - applyStartedAt)}** from the start of the apply.`
      : "**Not ready** when the watch ended.",
    "",
    "| phase | at |",
    "|---|---|",
    `| infrastructure applied | ${at(phases.applied)} |`,
    `| first server up | ${at(phases.firstServerUp)} |`,
    `| all nodes Ready | ${at(phases.allNodesReady)} |`,
    `| add-ons converged | ${at(phases.addonsConverged)} |`,
  ].join("\n");
}

/** What to do next once a cluster is up. */
export function nextSteps(
  cluster: string,
  definitionFile: string,
  addons: { argocd: boolean; jenkins: boolean },
): string {
  const lines = [
    "**Next:**",
    `- kubeconfig: \`k3s-bot kubeconfig ${definitionFile} --out ~/.kube/${cluster}\` (the API answers \`network.adminCidrs\` only)`,
  ];
  if (addons.argocd)
    lines.push(
      "- Argo CD: `kubectl -n argocd port-forward svc/argo-cd-server 8080:443`; password: `kubectl -n argocd get secret argocd-initial-admin-secret -o jsonpath='{.data.password}' | base64 -d`",
    );
  if (addons.jenkins)
    lines.push(
      "- Jenkins: `kubectl -n jenkins port-forward svc/jenkins 8081:8080`; password: secret `jenkins`, key `jenkins-admin-password`",
    );
  return lines.join("\n");
}

/** The plan comment's line: when the cluster last reported, and whether it was healthy. */
export function lastReportedLine(read: StatusRead, a: Assessment | undefined, now: number): string {
  switch (read.kind) {
    case "none":
      return "Cluster status: no report yet (the cluster's servers report once they boot).";
    case "unreadable":
      return `Cluster status: unreadable (${inline(read.reason)}).`;
    case "reported":
      return `Cluster status: last reported ${reportedAgo(read.status.at, now)}, ${a?.ready ? "healthy" : `**not healthy** (waiting for ${(a?.waitingFor ?? []).slice(0, 3).map(inline).join(", ")})`} — ${a?.summary ?? ""}.`;
  }
}

/**
 * The plan comment's "last reported" line for a cluster, or "" when there is no reader or the
 * read fails: a plan never fails or waits on the status store.
 */
export async function planStatusLine(
  read: StatusReader | undefined,
  cluster: StatusExpectation & { name: string; region: string },
  now = Date.now(),
): Promise<string> {
  if (!read) return "";
  try {
    const result = await read(cluster);
    const a = result.kind === "reported" ? assess(result.status, cluster) : undefined;
    return lastReportedLine(result, a, now);
  } catch {
    return "";
  }
}
