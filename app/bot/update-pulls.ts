/**
 * The update job (`k3s-bot updates`, docs/updates.md): for each cluster definition on the
 * default branch, one pull request per cluster and kind of update (k3s patch, Ubuntu AMI) on the
 * branch `k3s-bot/update/<cluster>/<kind>`. The PR carries only the definition change; its plan
 * comes from the normal autoplan of the pull request.
 *
 * Idempotent: a branch that already holds exactly this change on top of the current default
 * branch is left alone (no new push, no new plan); otherwise the branch is reset to one new
 * commit on the default branch, and the open PR of that branch is updated instead of opening a
 * second one. The branches under `k3s-bot/update/` belong to the bot: a commit pushed there by
 * someone else is replaced, so review happens in the PR, not by pushing to its branch.
 */
import { findUpdates, type ProposedUpdate } from "../engine/updates/find";
import type { UpdateSources } from "../engine/updates/sources";
import { readBotConfig } from "./config";
import type { RepoGitHub } from "./github";

export const UPDATE_BRANCH_PREFIX = "k3s-bot/update";

export type UpdateResult =
  | { cluster: string; kind: string; action: "opened" | "updated"; pullRequest: number }
  | { cluster: string; kind: string; action: "unchanged"; pullRequest?: number };

export function updateBranch(update: Pick<ProposedUpdate, "cluster" | "kind">): string {
  return `${UPDATE_BRANCH_PREFIX}/${update.cluster}/${update.kind}`;
}

export function updateTitle(update: ProposedUpdate): string {
  const what = update.kind === "k3s" ? "k3s" : "Ubuntu AMI";
  const targets = [...new Set(update.changes.map((c) => c.to))].join(", ");
  return `${update.cluster}: update ${what} to ${targets}`;
}

export function updateBody(update: ProposedUpdate): string {
  const rows = update.changes.map(
    (c) => `| \`${c.path.join(".")}\` | \`${c.from}\` | \`${c.to}\` |`,
  );
  const source =
    update.kind === "k3s"
      ? "the newest release of this minor in k3s' release channels (https://update.k3s.io/v1-release/channels); minors are not proposed"
      : "Canonical's public SSM parameter for Ubuntu 24.04 (`/aws/service/canonical/ubuntu/server/24.04/stable/current/<arch>/hvm/ebs-gp3/ami-id`)";
  return [
    `k3s-bot found a newer version for \`${update.file}\`, from ${source}.`,
    "",
    "| Field | Now | Proposed |",
    "| --- | --- | --- |",
    ...rows,
    "",
    "The plan of this change follows as the usual k3s-bot comment. Review it, approve, merge, and apply as for any other change. Close the PR to skip this version; k3s-bot updates the same PR when a newer one appears.",
  ].join("\n");
}

interface OpenPull {
  number: number;
}

async function openPullOf(gh: RepoGitHub, branch: string): Promise<OpenPull | undefined> {
  const { data } = await gh.octokit.rest.pulls.list({
    owner: gh.owner,
    repo: gh.repo,
    state: "open",
    head: `${gh.owner}:${branch}`,
  });
  return data[0] ? { number: data[0].number } : undefined;
}

/** Whether `branch` already is this change, one commit on top of `base`. */
async function branchIsCurrent(
  gh: RepoGitHub,
  branch: string,
  base: string,
  update: ProposedUpdate,
): Promise<boolean> {
  const head = await gh.branchHead(branch);
  if (!head) return false;
  const { data } = await gh.octokit.rest.git.getCommit({
    owner: gh.owner,
    repo: gh.repo,
    commit_sha: head,
  });
  if (data.parents.length !== 1 || data.parents[0]?.sha !== base) return false;
  return (await gh.fileAt(update.file, head)) === update.text;
}

/** Puts the change on its branch (created, or reset onto the default branch). */
async function pushUpdate(
  gh: RepoGitHub,
  branch: string,
  base: string,
  update: ProposedUpdate,
): Promise<void> {
  const tree = await gh.createTree(await gh.commitTree(base), [
    { path: update.file, content: update.text },
  ]);
  const commit = await gh.createCommit(updateTitle(update), tree, base);
  if ((await gh.createBranch(branch, commit)) === "exists") {
    await gh.octokit.rest.git.updateRef({
      owner: gh.owner,
      repo: gh.repo,
      ref: `heads/${branch}`,
      sha: commit,
      force: true,
    });
  }
}

async function propose(
  gh: RepoGitHub,
  baseBranch: string,
  base: string,
  update: ProposedUpdate,
): Promise<UpdateResult> {
  const branch = updateBranch(update);
  const open = await openPullOf(gh, branch);
  const current = await branchIsCurrent(gh, branch, base, update);
  const { cluster, kind } = update;
  // The same change with no open PR: its PR was closed, which skips this version.
  if (current)
    return { cluster, kind, action: "unchanged", ...(open ? { pullRequest: open.number } : {}) };
  await pushUpdate(gh, branch, base, update);
  const fields = { title: updateTitle(update), body: updateBody(update) };
  if (open) {
    await gh.octokit.rest.pulls.update({
      owner: gh.owner,
      repo: gh.repo,
      pull_number: open.number,
      ...fields,
    });
    return { cluster, kind, action: "updated", pullRequest: open.number };
  }
  const created = await gh.createPullRequest({ ...fields, head: branch, base: baseBranch });
  return { cluster, kind, action: "opened", pullRequest: created.number };
}

/**
 * Runs the job on one repository: every `<definitionsPath>/*.yaml` on the default branch.
 * A definition that does not parse is skipped (its own PRs report it); one source failing
 * fails the job, so a partial answer is never taken for "up to date".
 */
export async function proposeUpdates(
  gh: RepoGitHub,
  options: { definitionsPath: string; sources: UpdateSources; defaultK3s: string },
): Promise<UpdateResult[]> {
  const baseBranch = await gh.defaultBranch();
  const base = await gh.branchHead(baseBranch);
  if (!base) throw new Error(`the default branch ${baseBranch} has no commit`);
  const results: UpdateResult[] = [];
  const files = (await gh.listFiles(options.definitionsPath, base))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  for (const file of files) {
    const text = await gh.fileAt(file, base);
    if (text === null) continue;
    for (const update of await findUpdates(file, text, options.sources, options.defaultK3s)) {
      results.push(await propose(gh, baseBranch, base, update));
    }
  }
  return results;
}

/**
 * The scheduled job on one repository: its definitions folder from its `.github/k3s-bot.yml`
 * on the default branch (as every other flow reads it), and nothing at all when that file says
 * `updates: { pullRequests: false }`. An invalid config fails the job here,
 * with the config's own message, rather than guess a folder.
 */
export async function proposeRepositoryUpdates(
  gh: RepoGitHub,
  options: { sources: UpdateSources; defaultK3s: string },
): Promise<UpdateResult[]> {
  const config = await readBotConfig(gh);
  if (!config.ok) throw new Error(`${gh.fullName}: ${config.message}`);
  if (!config.config.updates.pullRequests) return [];
  return proposeUpdates(gh, { ...options, definitionsPath: config.config.definitionsPath });
}
