/**
 * The text of every comment the bot writes. Each says what happened and what to do next.
 * Plan and apply comments carry a hidden marker so the bot updates them in place.
 */
import { type DefinitionProblem, describeFound } from "../engine/definitions/problems";
import type { LockRecord } from "../engine/locks";
import type { PlanMetadata } from "../engine/plan-store";
import { redactSecrets } from "../engine/redact";

export function marker(kind: "plan" | "apply", cluster: string): string {
  return `<!-- k3s-bot:${kind}:${cluster} -->`;
}

/**
 * A plan comment's marker: per cluster and head commit. A push gets a new plan comment and the
 * one reviewers approved stays as it was (a re-plan of the same commit updates it in place).
 */
export function planMarker(cluster: string, headSha: string): string {
  return `${marker("plan", cluster)}<!-- k3s-bot:head:${headSha} -->`;
}

const short = (sha: string) => `\`${sha.slice(0, 7)}\``;
const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;

function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}\n${text}\n${ticks}`;
}

export function invalidDefinition(
  cluster: string,
  file: string,
  problems: readonly DefinitionProblem[],
): string {
  const rows = problems.map(
    (p) =>
      `| line ${p.line}, column ${p.column} | ${code(p.field || "(document)")} | ${p.message.replace(/\|/g, "\\|").replace(/\n/g, " ")} |`,
  );
  return [
    `### k3s plan · ${code(cluster)} · invalid definition`,
    "",
    `${code(file)} has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was planned:`,
    "",
    "| where | field | problem |",
    "|---|---|---|",
    ...rows,
    "",
    "Fix them and push; the plan runs again.",
  ].join("\n");
}

export function lockedBy(cluster: string, holder: LockRecord, repo: string): string {
  const where =
    holder.repo === repo ? `#${holder.pullRequest}` : `${holder.repo}#${holder.pullRequest}`;
  return [
    `### k3s plan · ${code(cluster)} · locked`,
    "",
    `${code(cluster)} is locked by ${where} (planned by @${holder.user} at ${holder.lockedAt}). Nothing was planned here.`,
    "",
    `The lock is released when ${where} is merged or closed, or when someone comments \`/k3s unlock ${cluster}\` on it.`,
  ].join("\n");
}

export function planFailed(cluster: string, error: string): string {
  return [
    `### k3s plan · ${code(cluster)} · failed`,
    "",
    fence(error),
    "",
    `Nothing was changed. Fix the cause and comment \`/k3s plan ${cluster}\` to try again. A lock this plan took stays with this PR (so no other PR plans ${code(cluster)} meanwhile) until the PR is merged or closed, or \`/k3s unlock ${cluster}\`.`,
  ].join("\n");
}

export function planFooter(cluster: string, destroy: boolean): string {
  const what = destroy
    ? `> [!WARNING]\n> The definition of ${code(cluster)} was deleted in this PR: **applying this plan destroys the cluster.**\n\n`
    : "";
  return `${what}To apply exactly this plan: comment \`/k3s apply ${cluster}\`. A new commit needs a new plan.`;
}

export function applyRefused(reasons: readonly string[]): string {
  return [
    "### k3s apply · refused",
    "",
    "Nothing was applied, because:",
    "",
    ...reasons.map((r) => `- ${r}`),
  ].join("\n");
}

export function notLocked(cluster: string, holder: LockRecord | null, repo: string): string {
  if (!holder) {
    return `### k3s apply · ${code(cluster)} · not planned\n\nThis PR does not hold the lock on ${code(cluster)}. Comment \`/k3s plan ${cluster}\` first.`;
  }
  const where =
    holder.repo === repo ? `#${holder.pullRequest}` : `${holder.repo}#${holder.pullRequest}`;
  return `### k3s apply · ${code(cluster)} · locked\n\n${code(cluster)} is locked by ${where}; this PR cannot apply it until that lock is released.`;
}

export function noPlan(
  cluster: string,
  headSha: string,
  plannedCommits: readonly string[],
): string {
  const others =
    plannedCommits.length > 0
      ? ` Plans exist for earlier commits (${plannedCommits.map(short).join(", ")}), but only a plan of the current head is applied.`
      : "";
  return [
    `### k3s apply · ${code(cluster)} · no plan for ${short(headSha)}`,
    "",
    `There is no plan for the PR's head commit ${short(headSha)}.${others}`,
    "",
    `Comment \`/k3s plan ${cluster}\`, review the plan, then \`/k3s apply ${cluster}\`.`,
  ].join("\n");
}

export function alreadyApplied(cluster: string, metadata: PlanMetadata): string {
  return `### k3s apply · ${code(cluster)} · already applied\n\nThe plan for ${short(metadata.headSha)} was applied at ${metadata.appliedAt} by @${metadata.appliedBy}. Push a change and plan again to apply more.`;
}

export function applyFailed(cluster: string, error: string): string {
  return [
    `### k3s apply · ${code(cluster)} · failed`,
    "",
    fence(error),
    "",
    `The lock stays with this PR and the state in S3 records whatever was created. Comment \`/k3s plan ${cluster}\` to see what remains, then \`/k3s apply ${cluster}\`.`,
  ].join("\n");
}

/**
 * Outputs in the order a user needs them after an apply: how to reach the cluster first, the
 * plumbing (subnets, NAT addresses) last and folded. Names not listed keep their place between.
 */
const FIRST_OUTPUTS = [
  "api_url",
  "api_endpoint",
  "kubeconfig_secret_arn",
  "ingress_dns",
  "cluster_name",
  "region",
];
const FOLDED_OUTPUTS = /_subnet_ids$|^nat_public_ips$|^vpc_id$/;

function orderedOutputs(outputs: Record<string, unknown>): {
  first: [string, unknown][];
  folded: [string, unknown][];
} {
  const entries = Object.entries(outputs);
  const rank = (name: string) => {
    const index = FIRST_OUTPUTS.indexOf(name);
    return index === -1 ? FIRST_OUTPUTS.length : index;
  };
  const shown = entries
    .filter(([name]) => !FOLDED_OUTPUTS.test(name))
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  const folded = entries
    .filter(([name]) => FOLDED_OUTPUTS.test(name))
    .sort(([a], [b]) => a.localeCompare(b));
  return { first: shown, folded };
}

/** `3 min 5 s`, `42 s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

export function applied(
  cluster: string,
  metadata: PlanMetadata,
  outputs: Record<string, unknown>,
  durationMs?: number,
): string {
  const row = ([name, value]: [string, unknown]) => {
    // Sensitive outputs arrive as "(sensitive)"; a secret in a plain output is redacted here.
    // Each string is redacted before JSON escapes its quotes, then the whole once more.
    const text = redactSecrets(
      typeof value === "string"
        ? value
        : JSON.stringify(value, (_key, inner: unknown) =>
            typeof inner === "string" ? redactSecrets(inner) : inner,
          ),
    );
    return `| ${code(name)} | ${code(text.length > 200 ? `${text.slice(0, 200)}…` : text)} |`;
  };
  const { first, folded } = orderedOutputs(outputs);
  const table = (rows: [string, unknown][]) => [
    "| output | value |",
    "|---|---|",
    ...rows.map(row),
  ];
  const took = durationMs === undefined ? "" : ` in ${formatDuration(durationMs)}`;
  return [
    `### k3s apply · ${code(cluster)} · applied`,
    "",
    `Applied the plan for ${short(metadata.headSha)} (${metadata.add} added, ${metadata.change} changed, ${metadata.destroy} destroyed)${took} for @${metadata.appliedBy ?? metadata.createdBy}.`,
    ...(first.length > 0 ? ["", ...table(first)] : []),
    ...(folded.length > 0
      ? ["", "<details><summary>Network IDs</summary>", "", ...table(folded), "", "</details>"]
      : []),
    "",
    `Admin kubeconfig (from the k3s-bot checkout, with AWS credentials that may read it): \`npm run cli -- kubeconfig <definition file> --out ~/.kube/${cluster}\`.`,
  ].join("\n");
}

export function noClusters(definitionsPath: string): string {
  return `This PR changes no cluster definitions (\`${definitionsPath}/<name>.yaml\`), so there is nothing to plan. Name a cluster to plan it anyway: \`/k3s plan <name>\`.`;
}

export function missingDefinition(cluster: string, file: string, headSha: string): string {
  return `There is no ${code(file)} at ${short(headSha)}, so ${code(cluster)} cannot be planned here.`;
}

export function unlocked(
  released: readonly string[],
  refused: ReadonlyArray<{ cluster: string; holder: string }>,
): string {
  const lines = [
    ...released.map((c) => `- ${code(c)}: unlocked; its saved plans from this PR were discarded`),
    ...refused.map(
      (r) => `- ${code(r.cluster)}: held by ${r.holder}, not by this PR; left as it is`,
    ),
  ];
  return ["### k3s unlock", "", ...(lines.length > 0 ? lines : ["This PR held no locks."])].join(
    "\n",
  );
}

/** More changed definitions than `plan.autoplanLimit`: none planned, each to be named. */
export function tooManyToPlan(clusters: readonly string[], limit: number): string {
  const shown = clusters.slice(0, 20).map(code).join(", ");
  const more = clusters.length > 20 ? ` and ${clusters.length - 20} more` : "";
  return [
    "### k3s plan · too many clusters at once",
    "",
    `This PR changes ${clusters.length} cluster definitions (${shown}${more}); k3s-bot plans at most ${limit} without being asked by name (\`plan.autoplanLimit\` in \`.github/k3s-bot.yml\`). Nothing was planned and no lock was taken.`,
    "",
    `Plan the ones you mean by name, e.g. \`/k3s plan ${clusters.slice(0, Math.max(1, Math.min(limit, 3))).join(" ")}\`, or split the PR.`,
  ].join("\n");
}

/** Unlock found no definition that loads at the PR's head or base, so no lock table to search. */
export function unlockNowhere(definitionsPath: string): string {
  return `### k3s unlock\n\nNo definition in \`${definitionsPath}/\` loads at this PR's head or base, so k3s-bot cannot tell which lock table to search; nothing was released. Push a definition that loads (or remove the broken one), then comment \`/k3s unlock\` again.`;
}

export function closedReleased(released: readonly string[]): string {
  return `### k3s · locks released\n\nThis PR was closed; released ${released.map(code).join(", ")} and discarded its saved plans.`;
}

export function unexpectedFailure(message: string): string {
  return `### k3s-bot · failed\n\nk3s-bot stopped before it finished:\n\n${fence(message)}\n\nWhat finished before this stands: a lock a plan took stays with this PR, and every apply that ran is reported in its own comment. To retry, comment the command again (\`/k3s plan\` for an automatic plan); if it fails the same way, this is a bug in k3s-bot.`;
}

export function applyInterrupted(cluster: string, error: string): string {
  return [
    `### k3s apply · ${code(cluster)} · interrupted`,
    "",
    fence(error),
    "",
    `Terraform was stopped before the apply finished, so part of the plan may have been applied. The lock stays with this PR. The interrupted plan was discarded and will not be applied again: comment \`/k3s plan ${cluster}\` to see what remains, review it, then \`/k3s apply ${cluster}\`. If the plan reports the state locked, a maintainer must release Terraform's state lock first (\`terraform force-unlock\`).`,
  ].join("\n");
}

export function handoffFailed(cluster: string, message: string): string {
  return `### k3s apply · ${code(cluster)} · applied, hand-off failed\n\nThe infrastructure was applied, but committing the Argo CD and Jenkins configuration failed:\n\n${fence(message)}\n\nRun \`k3s-bot render clusters/${cluster}.yaml --out .\` locally and commit the result, or apply again after fixing the cause.`;
}

/** Definition files whose names are not cluster names: never planned, each named (spelled out). */
export function misnamedDefinitions(files: readonly string[], definitionsPath: string): string {
  const shown = files.slice(0, 10).map((f) => `- ${code(describeFound(f))}`);
  const more = files.length > 10 ? [`- … and ${files.length - 10} more`] : [];
  return [
    "### k3s plan · definition file names",
    "",
    `${files.length === 1 ? "This file is" : "These files are"} not planned: the name of a definition file is the cluster's name, 2-20 lowercase letters, digits and hyphens (\`${definitionsPath}/<name>.yaml\`).`,
    "",
    ...shown,
    ...more,
    "",
    "Rename the file to its cluster's name and push.",
  ].join("\n");
}

/** After a merge: a cluster the PR changed whose definition the bot could not read. */
export function mergedDefinitionMissing(cluster: string, file: string): string {
  return [
    `### k3s apply · \`${cluster}\` — not applied after the merge`,
    "",
    `The merge changed \`${file}\`, but the definition could not be read at the merge commit or before it, so nothing was planned or applied for \`${cluster}\`. Comment \`/k3s plan ${cluster}\` on a new pull request to see where it stands.`,
  ].join("\n");
}
