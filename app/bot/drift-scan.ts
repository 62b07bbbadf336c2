/**
 * The drift scan of one repository: every cluster defined on its default branch is planned
 * against its state (engine/drift.ts), and each cluster has at most one drift issue, found by
 * its label and marker: opened when drift is found, updated while it lasts, reopened when it
 * comes back, closed once the cluster matches its definition again. A clean cluster with no
 * issue gets none. Run on a schedule: by the App on an interval (scheduled-jobs.ts), by the
 * Action from its `schedule` trigger (workflows/k3s-bot.yml, app/action/scheduled.ts).
 */

import type { ClusterRuns } from "../engine/cluster-runs";
import { formatProblems } from "../engine/definitions/problems";
import { checkDrift, type DriftOutcome, driftedResources } from "../engine/drift";
import { readBotConfig } from "./config";
import type { Logger } from "./context";
import type { RepoGitHub } from "./github";

export const DRIFT_LABEL = "k3s-drift";
export const driftMarker = (cluster: string) => `<!-- k3s-bot:drift:${cluster} -->`;

export interface DriftScanResult {
  cluster: string;
  outcome: DriftOutcome["kind"];
  /** What happened to its issue. */
  issue: "opened" | "updated" | "reopened" | "closed" | "none";
}

interface DriftIssue {
  number: number;
  state: "open" | "closed";
  body: string;
}

/** Scans the repository's clusters; never throws for one cluster's failure. */
export async function scanDrift(
  github: RepoGitHub,
  runs: ClusterRuns,
  log: Logger,
  botLogin: string,
): Promise<DriftScanResult[]> {
  const read = await readBotConfig(github);
  if (!read.ok) {
    log.error(`drift scan of ${github.fullName} skipped: ${read.message}`);
    return [];
  }
  const config = read.config;
  const branch = await github.defaultBranch();
  const dir = config.definitionsPath;
  const issues = await driftIssues(github, botLogin);
  const results: DriftScanResult[] = [];
  for (const file of await github.listFiles(dir, branch)) {
    if (!file.endsWith(".yaml")) continue;
    const text = await github.fileAt(file, branch);
    if (text === null) continue;
    const cluster = file.slice(dir.length + 1, -".yaml".length);
    const outcome = await checkDrift(
      runs,
      github.fullName,
      { file, text, definitionsDir: dir },
      config.clusters[cluster]?.roleArn,
    );
    log.info(`drift ${github.fullName} ${cluster}: ${outcome.kind}`);
    const issue = await syncIssue(github, issues.get(cluster), cluster, file, branch, outcome);
    results.push({ cluster, outcome: outcome.kind, issue });
  }
  return results;
}

/** The bot's drift issues, open or closed, by cluster (the newest when there are several). */
async function driftIssues(github: RepoGitHub, botLogin: string): Promise<Map<string, DriftIssue>> {
  const found = await github.octokit.paginate(github.octokit.rest.issues.listForRepo, {
    owner: github.owner,
    repo: github.repo,
    labels: DRIFT_LABEL,
    state: "all",
    per_page: 100,
  });
  const byCluster = new Map<string, DriftIssue>();
  for (const issue of [...found].sort((a, b) => a.number - b.number)) {
    // Only the bot's own issues: anyone can open an issue with the label and the marker.
    if (issue.user?.login !== botLogin || issue.pull_request) continue;
    const cluster = /<!-- k3s-bot:drift:([a-z0-9-]+) -->/.exec(issue.body ?? "")?.[1];
    if (cluster)
      byCluster.set(cluster, {
        number: issue.number,
        state: issue.state === "closed" ? "closed" : "open",
        body: issue.body ?? "",
      });
  }
  return byCluster;
}

async function syncIssue(
  github: RepoGitHub,
  existing: DriftIssue | undefined,
  cluster: string,
  file: string,
  branch: string,
  outcome: DriftOutcome,
): Promise<DriftScanResult["issue"]> {
  const { owner, repo } = github;
  if (outcome.kind === "clean" || outcome.kind === "not-applied") {
    if (!existing || existing.state === "closed") return "none";
    await github.octokit.rest.issues.createComment({
      owner,
      repo,
      issue_number: existing.number,
      body: `\`${cluster}\` matches \`${file}\` on \`${branch}\` again (${new Date().toISOString()}): closing.`,
    });
    await github.octokit.rest.issues.update({
      owner,
      repo,
      issue_number: existing.number,
      state: "closed",
      state_reason: "completed",
    });
    return "closed";
  }
  const body = `${driftMarker(cluster)}\n${driftBody(cluster, file, branch, outcome)}`;
  if (!existing) {
    await github.octokit.rest.issues.create({
      owner,
      repo,
      title: `Drift: cluster ${cluster} differs from ${file}`,
      body,
      labels: [DRIFT_LABEL],
    });
    return "opened";
  }
  await github.octokit.rest.issues.update({
    owner,
    repo,
    issue_number: existing.number,
    body,
    ...(existing.state === "closed" ? { state: "open" as const } : {}),
  });
  return existing.state === "closed" ? "reopened" : "updated";
}

function driftBody(cluster: string, file: string, branch: string, outcome: DriftOutcome): string {
  const checked = `Checked ${new Date().toISOString()} against \`${file}\` on \`${branch}\`.`;
  switch (outcome.kind) {
    case "drifted":
      return [
        `### \`${cluster}\` has drifted`,
        "",
        `The cluster no longer matches its definition. ${checked} What differs, by part of the cluster:`,
        "",
        ...driftedResources(outcome.changes),
        "",
        "Either change was made outside k3s-bot (put it in the definition through a PR, or let the next apply set it back), or a merged change was not applied yet. This issue is updated at each scan and closed once the cluster matches again.",
      ].join("\n");
    case "invalid":
      return `### \`${cluster}\`: the definition on \`${branch}\` does not load\n\n${checked}\n\n\`\`\`\n${formatProblems(outcome.problems)}\n\`\`\``;
    case "refused":
      return `### \`${cluster}\`: drift not checked\n\n${checked}\n\n${outcome.reason}`;
    default:
      return `### \`${cluster}\`: drift check failed\n\n${checked}\n\n\`\`\`\n${outcome.kind === "failed" ? outcome.error : ""}\n\`\`\``;
  }
}
