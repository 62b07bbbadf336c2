/**
 * The Git data API calls of the GitOps hand-off (gitops-handoff.ts), and the pull request that
 * carries its files. RepoGitHub (github.ts) extends this class, so the hand-off reaches them
 * through the same object as every other call.
 *
 * One atomic commit of several files: getRef, createTree on the base tree, createCommit, then
 * updateRef without force: GitHub's REST description of "Update a reference"
 * (github/rest-api-description, `force`) says that leaving force false makes the update a
 * fast-forward only, so a branch that moved meanwhile is not overwritten. Branch names are given
 * without "refs/heads/".
 */
import type { Octokit } from "./github";

export class RepoGitData {
  constructor(
    readonly octokit: Octokit,
    readonly owner: string,
    readonly repo: string,
  ) {}

  /** The commit a branch points at; null when the branch does not exist. */
  async branchHead(branch: string): Promise<string | null> {
    try {
      const { data } = await this.octokit.rest.git.getRef({
        owner: this.owner,
        repo: this.repo,
        ref: `heads/${branch}`,
      });
      return data.object.sha;
    } catch (error) {
      if ((error as { status?: number }).status === 404) return null;
      throw error;
    }
  }

  /** A commit's tree. */
  async commitTree(sha: string): Promise<string> {
    const { data } = await this.octokit.rest.git.getCommit({
      owner: this.owner,
      repo: this.repo,
      commit_sha: sha,
    });
    return data.tree.sha;
  }

  /**
   * Blob SHAs of the files in a tree, by path (recursive). `truncated` is true when GitHub cut
   * the listing (very large trees): absent paths are then unknown, not missing.
   */
  async treeBlobs(treeSha: string): Promise<{ blobs: Map<string, string>; truncated: boolean }> {
    const { data } = await this.octokit.rest.git.getTree({
      owner: this.owner,
      repo: this.repo,
      tree_sha: treeSha,
      recursive: "true",
    });
    const blobs = new Map<string, string>();
    for (const entry of data.tree)
      if (entry.type === "blob" && entry.path && entry.sha) blobs.set(entry.path, entry.sha);
    return { blobs, truncated: data.truncated };
  }

  /** A new tree on top of `baseTree`: files written inline, `null` content deletes a path. */
  async createTree(
    baseTree: string,
    files: ReadonlyArray<{ path: string; content: string | null }>,
  ): Promise<string> {
    const { data } = await this.octokit.rest.git.createTree({
      owner: this.owner,
      repo: this.repo,
      base_tree: baseTree,
      tree: files.map((f) =>
        f.content === null
          ? { path: f.path, mode: "100644" as const, type: "blob" as const, sha: null }
          : { path: f.path, mode: "100644" as const, type: "blob" as const, content: f.content },
      ),
    });
    return data.sha;
  }

  /** A commit with one parent. No author given: GitHub makes the App (bot) the author. */
  async createCommit(message: string, tree: string, parent: string): Promise<string> {
    const { data } = await this.octokit.rest.git.createCommit({
      owner: this.owner,
      repo: this.repo,
      message,
      tree,
      parents: [parent],
    });
    return data.sha;
  }

  /**
   * Moves a branch to `sha`, never forced: GitHub refuses (422) unless `sha` descends from the
   * branch's current commit, so nobody's commit is overwritten.
   */
  async fastForward(branch: string, sha: string): Promise<"updated" | "not-fast-forward"> {
    try {
      await this.octokit.rest.git.updateRef({
        owner: this.owner,
        repo: this.repo,
        ref: `heads/${branch}`,
        sha,
        force: false,
      });
      return "updated";
    } catch (error) {
      if ((error as { status?: number }).status === 422) return "not-fast-forward";
      throw error;
    }
  }

  /** Creates a branch at `sha`; "exists" when the name is taken. */
  async createBranch(branch: string, sha: string): Promise<"created" | "exists"> {
    try {
      await this.octokit.rest.git.createRef({
        owner: this.owner,
        repo: this.repo,
        ref: `refs/heads/${branch}`,
        sha,
      });
      return "created";
    } catch (error) {
      if ((error as { status?: number }).status === 422) return "exists";
      throw error;
    }
  }

  async createPullRequest(pr: {
    title: string;
    head: string;
    base: string;
    body: string;
  }): Promise<{ number: number; url: string }> {
    const { data } = await this.octokit.rest.pulls.create({
      owner: this.owner,
      repo: this.repo,
      ...pr,
    });
    return { number: data.number, url: data.html_url };
  }
}
