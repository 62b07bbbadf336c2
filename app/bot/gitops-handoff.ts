/**
 * The GitOps hand-off (the workflow's AfterApply): after a cluster was applied, the repository
 * gets the Argo CD and Jenkins files rendered from its definition and the stack's outputs, so the
 * cluster converges on what the repository says.
 *
 * - Open PR from this repository: one commit on the PR branch through the git data API
 *   (getRef → getCommit → getTree → createTree with base_tree → createCommit → updateRef with
 *   force: false). Nothing changed: no commit. The branch moved in between (422): re-read the head
 *   and try again, a bounded number of times; never a forced update.
 * - Fork PR (the App cannot push there): the files as a patch in a comment.
 * - After auto-apply on merge: the base branch may be protected, so a follow-up PR on a new branch
 *   `k3s-bot/gitops-<cluster>-<short sha>`, only when the files differ from the base branch.
 *
 * Errors propagate: the workflow reports a failed hand-off next to the (standing) apply.
 */
import { createHash } from "node:crypto";
import {
  GENERATED_MARKER,
  generatedDirs,
  type RenderedFile,
  renderClusterFiles,
} from "../engine/gitops/render";
import type { PullRequestInfo, RepoGitHub } from "./github";
import type { AfterApply, AppliedCluster } from "./workflow";

export interface GitopsHandoffOptions {
  /** The URL Argo CD clones this repository from (default https://github.com/<owner>/<repo>.git). */
  repoUrl?: (fullName: string) => string;
  /** Attempts at moving the PR branch when it keeps moving under us (default 3). */
  maxAttempts?: number;
}

/** One change of the tree: content, or null to delete a file the bot generated earlier. */
export interface FileChange {
  path: string;
  content: string | null;
}

export const defaultRepoUrl = (fullName: string) => `https://github.com/${fullName}.git`;

export function handoffMarker(cluster: string): string {
  return `<!-- k3s-bot:gitops:${cluster} -->`;
}

/** Git's blob id of a text: equal ids, equal files, without downloading them. */
export function gitBlobSha(content: string): string {
  const body = Buffer.from(content, "utf8");
  return createHash("sha1")
    .update(Buffer.concat([Buffer.from(`blob ${body.length}\0`), body]))
    .digest("hex");
}

export function createGitopsHandoff(options: GitopsHandoffOptions = {}): AfterApply {
  const repoUrl = options.repoUrl ?? defaultRepoUrl;
  const maxAttempts = options.maxAttempts ?? 3;
  return async (applied) => {
    const files = renderClusterFiles(applied.config, applied.outputs, {
      url: repoUrl(applied.github.fullName),
    });
    if (applied.merged) return followUpPullRequest(applied, files);
    if (applied.pr.fromFork) return forkPatch(applied, files);
    return commitToBranch(applied, files, maxAttempts);
  };
}

/** What would change if `files` were committed on top of `commit`. */
export async function changesAt(
  github: RepoGitHub,
  commit: string,
  cluster: string,
  files: readonly RenderedFile[],
): Promise<{ tree: string; changes: FileChange[] }> {
  const tree = await github.commitTree(commit);
  const { blobs, truncated } = await github.treeBlobs(tree);
  const changes: FileChange[] = [];
  for (const file of files) {
    const known = blobs.get(file.path);
    if (known === gitBlobSha(file.content)) continue;
    if (
      known === undefined &&
      truncated &&
      (await github.fileAt(file.path, commit)) === file.content
    )
      continue;
    changes.push({ path: file.path, content: file.content });
  }
  // Files the bot generated earlier that it no longer renders (an add-on turned off) go; files
  // someone else put in these folders stay.
  const rendered = new Set(files.map((f) => f.path));
  const dirs = generatedDirs(cluster);
  for (const path of [...blobs.keys()].sort()) {
    if (rendered.has(path) || !dirs.some((d) => path.startsWith(d))) continue;
    const content = await github.fileAt(path, commit);
    if (content?.split("\n", 2)[0]?.includes(GENERATED_MARKER))
      changes.push({ path, content: null });
  }
  return { tree, changes };
}

function commitMessage(applied: AppliedCluster): string {
  const { config, pr } = applied;
  const parts = [config.addons.argocd && "Argo CD", config.addons.jenkins && "Jenkins"].filter(
    Boolean,
  );
  const what = parts.length > 0 ? parts.join(" and ") : "GitOps";
  return [
    `k3s-bot: ${what} config for ${config.name}`,
    "",
    `Rendered from clusters/${config.name}.yaml and the outputs of the apply of ${pr.headSha.slice(0, 7)} (#${pr.number}).`,
    `Regenerate locally: k3s-bot render clusters/${config.name}.yaml --out . --outputs outputs.json`,
  ].join("\n");
}

function listChanges(changes: readonly FileChange[]): string {
  return changes
    .map((c) => `- \`${c.path}\`${c.content === null ? " (removed: no longer generated)" : ""}`)
    .join("\n");
}

async function report(applied: AppliedCluster, body: string): Promise<void> {
  await applied.github.upsertComment(applied.pr.number, handoffMarker(applied.config.name), body);
}

const title = (cluster: string) => `### k3s-bot · GitOps hand-off · \`${cluster}\``;

async function commitToBranch(
  applied: AppliedCluster,
  files: readonly RenderedFile[],
  maxAttempts: number,
): Promise<void> {
  const { github, pr, config } = applied;
  const branch = pr.headRef;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const head = await github.branchHead(branch);
    if (head === null) {
      await report(
        applied,
        `${title(config.name)}\n\nThe branch \`${branch}\` no longer exists, so the Argo CD and Jenkins files were not committed. ${regenerateHint(config.name)}`,
      );
      return;
    }
    const { tree, changes } = await changesAt(github, head, config.name, files);
    if (changes.length === 0) return;
    const newTree = await github.createTree(tree, changes);
    const commit = await github.createCommit(commitMessage(applied), newTree, head);
    if ((await github.fastForward(branch, commit)) === "updated") {
      await report(
        applied,
        `${title(config.name)}\n\nCommitted \`${commit.slice(0, 7)}\` to \`${branch}\`:\n\n${listChanges(changes)}\n\nArgo CD applies them once this PR is merged (it follows the default branch). Pull before you push again.`,
      );
      return;
    }
    // Someone pushed meanwhile: our commit is an orphan; build the next one on their head.
  }
  await report(
    applied,
    `${title(config.name)}\n\nThe branch \`${branch}\` moved ${maxAttempts} times while k3s-bot tried to commit the Argo CD and Jenkins files, so it stopped (it never force-pushes). ${regenerateHint(config.name)}`,
  );
}

function regenerateHint(cluster: string): string {
  return `Run \`k3s-bot render clusters/${cluster}.yaml --out . --outputs outputs.json\` (outputs from \`terraform output -json\`) and commit the result, or apply again.`;
}

/** GitHub's comment limit is 65,536 characters; keep room for the text around the patch. */
const PATCH_LIMIT = 60_000;

async function forkPatch(applied: AppliedCluster, files: readonly RenderedFile[]): Promise<void> {
  const { github, pr, config } = applied;
  const { changes } = await changesAt(github, pr.headSha, config.name, files);
  if (changes.length === 0) return;
  const parts: string[] = [];
  for (const change of changes) {
    const before = await github.fileAt(change.path, pr.headSha);
    parts.push(filePatch(change.path, before, change.content));
  }
  const patch = parts.join("");
  const intro = `${title(config.name)}\n\nThis PR comes from a fork, where k3s-bot cannot push. Apply the Argo CD and Jenkins files on your branch:`;
  if (patch.length > PATCH_LIMIT) {
    await report(
      applied,
      `${intro}\n\n${listChanges(changes)}\n\nThe patch is too long for a comment. ${regenerateHint(config.name)}`,
    );
    return;
  }
  const fence = "`".repeat(Math.max(3, longestBacktickRun(patch) + 1));
  await report(
    applied,
    `${intro} save the patch below as \`k3s-gitops.patch\`, then \`git apply k3s-gitops.patch\`, commit and push.\n\n${listChanges(changes)}\n\n<details><summary>Patch</summary>\n\n${fence}diff\n${patch}${fence}\n\n</details>`,
  );
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
}

/**
 * A git-style patch replacing a whole file (one hunk): `git apply` takes it, and reviewers see
 * every line of the new file.
 */
export function filePatch(path: string, before: string | null, after: string | null): string {
  const lines = (text: string | null) => {
    if (text === null || text === "") return { lines: [] as string[], eol: true };
    const eol = text.endsWith("\n");
    return { lines: (eol ? text.slice(0, -1) : text).split("\n"), eol };
  };
  const a = lines(before);
  const b = lines(after);
  const head = [`diff --git a/${path} b/${path}`];
  if (before === null) head.push("new file mode 100644");
  if (after === null) head.push("deleted file mode 100644");
  head.push(before === null ? "--- /dev/null" : `--- a/${path}`);
  head.push(after === null ? "+++ /dev/null" : `+++ b/${path}`);
  const range = (n: number) => (n === 0 ? "0,0" : `1,${n}`);
  head.push(`@@ -${range(a.lines.length)} +${range(b.lines.length)} @@`);
  const body: string[] = [];
  for (const line of a.lines) body.push(`-${line}`);
  if (!a.eol) body.push("\\ No newline at end of file");
  for (const line of b.lines) body.push(`+${line}`);
  if (!b.eol) body.push("\\ No newline at end of file");
  return `${[...head, ...body].join("\n")}\n`;
}

async function followUpPullRequest(
  applied: AppliedCluster,
  files: readonly RenderedFile[],
): Promise<void> {
  const { github, pr, config } = applied;
  const base = pr.baseRef;
  const head = await github.branchHead(base);
  if (head === null) throw new Error(`the base branch ${base} of #${pr.number} does not exist`);
  const { tree, changes } = await changesAt(github, head, config.name, files);
  if (changes.length === 0) return;
  const branch = followUpBranch(config.name, pr);
  const newTree = await github.createTree(tree, changes);
  const commit = await github.createCommit(commitMessage(applied), newTree, head);
  // The branch is created at the finished commit: no half-made branch is ever visible.
  if ((await github.createBranch(branch, commit)) === "exists") {
    await report(
      applied,
      `${title(config.name)}\n\nThe branch \`${branch}\` already exists; k3s-bot left it alone. Open a PR from it, or ${regenerateHint(config.name)}`,
    );
    return;
  }
  const created = await github.createPullRequest({
    title: `k3s-bot: Argo CD and Jenkins config for ${config.name}`,
    head: branch,
    base,
    body: `After #${pr.number} was merged and applied, the Argo CD and Jenkins files rendered from the new outputs differ from \`${base}\`:\n\n${listChanges(changes)}\n\nk3s-bot opens a PR instead of pushing to \`${base}\` (it may be protected). Merge it to let Argo CD converge on them.`,
  });
  await report(
    applied,
    `${title(config.name)}\n\nThe applied cluster's Argo CD and Jenkins files differ from \`${base}\`: follow-up PR #${created.number}.`,
  );
}

export function followUpBranch(cluster: string, pr: PullRequestInfo): string {
  return `k3s-bot/gitops-${cluster}-${pr.headSha.slice(0, 7)}`;
}
