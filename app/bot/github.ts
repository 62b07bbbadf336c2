/**
 * Every GitHub call the bot makes, for one repository, through the installation's Octokit.
 * The workflow steps talk to this class, never to Octokit directly, so what the bot does on
 * GitHub is listed in one place (and matches the permissions requested in app.yml). The Git
 * data calls of the GitOps hand-off are in github-git.ts, which this class extends.
 */
import type { ProbotOctokit } from "probot";
import { RepoGitData } from "./github-git";
import {
  CHECK_RUN_ANNOTATIONS_PER_REQUEST,
  CHECK_RUN_SUMMARY_LIMIT,
  CHECK_RUN_TEXT_LIMIT,
} from "./github-limits";

export type Octokit = InstanceType<typeof ProbotOctokit>;

export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";
export type Reaction = "eyes" | "rocket" | "confused" | "+1";
export type CheckConclusion = "success" | "failure" | "neutral" | "cancelled" | "action_required";

export interface PullRequestInfo {
  number: number;
  author: string;
  headSha: string;
  headRef: string;
  /** owner/name of the head repository; differs from the base for fork PRs. */
  headRepo: string;
  baseRef: string;
  /** The base commit the PR was last compared with; still has a file the PR deletes after merge. */
  baseSha?: string;
  state: string;
  merged: boolean;
  mergeCommitSha: string | null;
  mergeable: boolean | null;
  mergeableState: string;
  fromFork: boolean;
  /** How many files GitHub counts as changed (`changed_files`); 0 when not reported. */
  changedFileCount?: number;
}

export interface ChangedFile {
  filename: string;
  status: string;
  previousFilename?: string;
}

export interface Review {
  user: string;
  state: string;
  submittedAt: string;
  /** The head commit the review was given on; null when GitHub no longer has that commit. */
  commitId?: string | null;
  /** "Bot" for Apps and github-actions; a bot's review never counts. */
  userType?: string;
}

/**
 * GitHub lists at most 3,000 files of a pull request (REST "List pull requests files": "Responses
 * include a maximum of 3000 files"; docs.github.com/en/rest/pulls/pulls#list-pull-requests-files,
 * read 2026-11-29). Beyond it the list is silently short, so the bot refuses instead of guessing.
 */
export const PULL_FILES_LIMIT = 3000;

export class TooManyFilesError extends Error {}

export interface CheckRunInfo {
  name: string;
  status: string;
  conclusion: string | null;
  appSlug?: string;
}

/** A check-run annotation, as GitHub's `checks/update` takes it (github-limits.ts). */
export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "notice" | "warning" | "failure";
  title: string;
  message: string;
  raw_details: string;
}

function cap(text: string, limit = CHECK_RUN_TEXT_LIMIT): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 40)}\n\n… (cut at GitHub's limit)`;
}

export class RepoGitHub extends RepoGitData {
  constructor(
    octokit: Octokit,
    owner: string,
    repo: string,
    /**
     * The login this bot comments as (`<app slug>[bot]`, or `github-actions[bot]` in the Action).
     * Only comments by this login are ever edited: another App or workflow can post a comment
     * carrying the bot's marker, and adopting it would let its author rewrite a reviewed plan.
     */
    private readonly selfLogin?: () => Promise<string>,
  ) {
    super(octokit, owner, repo);
  }

  get fullName(): string {
    return `${this.owner}/${this.repo}`;
  }

  async react(commentId: number, content: Reaction): Promise<void> {
    await this.octokit.rest.reactions.createForIssueComment({
      owner: this.owner,
      repo: this.repo,
      comment_id: commentId,
      content,
    });
  }

  /**
   * Creates the comment, or updates the bot's earlier comment carrying the same hidden marker
   * (one comment per cluster and command kind, updated in place).
   */
  async upsertComment(
    issueNumber: number,
    marker: string,
    body: string,
  ): Promise<{ id: number; created: boolean }> {
    const tagged = `${body}\n${marker}\n`;
    const comments = await this.octokit.paginate(this.octokit.rest.issues.listComments, {
      owner: this.owner,
      repo: this.repo,
      issue_number: issueNumber,
      per_page: 100,
    });
    const self = this.selfLogin ? await this.selfLogin() : undefined;
    const mine = [...comments]
      .reverse()
      .find(
        (c) =>
          c.user?.type === "Bot" &&
          (self === undefined || c.user.login === self) &&
          (c.body ?? "").includes(marker),
      );
    if (mine) {
      await this.octokit.rest.issues.updateComment({
        owner: this.owner,
        repo: this.repo,
        comment_id: mine.id,
        body: tagged,
      });
      return { id: mine.id, created: false };
    }
    const created = await this.octokit.rest.issues.createComment({
      owner: this.owner,
      repo: this.repo,
      issue_number: issueNumber,
      body: tagged,
    });
    return { id: created.data.id, created: true };
  }

  async comment(issueNumber: number, body: string): Promise<void> {
    await this.octokit.rest.issues.createComment({
      owner: this.owner,
      repo: this.repo,
      issue_number: issueNumber,
      body,
    });
  }

  async startCheckRun(
    name: string,
    headSha: string,
    title: string,
    summary = title,
  ): Promise<number> {
    const out = await this.octokit.rest.checks.create({
      owner: this.owner,
      repo: this.repo,
      name,
      head_sha: headSha,
      status: "in_progress",
      started_at: new Date().toISOString(),
      output: { title, summary: cap(summary, CHECK_RUN_SUMMARY_LIMIT) },
    });
    return out.data.id;
  }

  async finishCheckRun(
    id: number,
    conclusion: CheckConclusion,
    output: { title: string; summary: string; text?: string; annotations?: CheckAnnotation[] },
  ): Promise<void> {
    await this.octokit.rest.checks.update({
      owner: this.owner,
      repo: this.repo,
      check_run_id: id,
      status: "completed",
      conclusion,
      completed_at: new Date().toISOString(),
      output: {
        title: output.title.slice(0, 255),
        summary: cap(output.summary, CHECK_RUN_SUMMARY_LIMIT),
        ...(output.text ? { text: cap(output.text) } : {}),
        // At most 50 per request; the plan uses a few (github-limits.ts).
        ...(output.annotations?.length
          ? { annotations: output.annotations.slice(0, CHECK_RUN_ANNOTATIONS_PER_REQUEST) }
          : {}),
      },
    });
  }

  /** A file's text at a commit or branch; null when it does not exist there. */
  async fileAt(path: string, ref: string): Promise<string | null> {
    try {
      const out = await this.octokit.rest.repos.getContent({
        owner: this.owner,
        repo: this.repo,
        path,
        ref,
      });
      const data = out.data as { type?: string; content?: string; encoding?: string };
      if (Array.isArray(out.data) || data.type !== "file" || data.content === undefined)
        return null;
      return Buffer.from(data.content, (data.encoding as BufferEncoding) ?? "base64").toString(
        "utf8",
      );
    } catch (error) {
      if ((error as { status?: number }).status === 404) return null;
      throw error;
    }
  }

  /** Paths of the files directly in a folder at a ref; empty when the folder does not exist. */
  async listFiles(path: string, ref: string): Promise<string[]> {
    try {
      const out = await this.octokit.rest.repos.getContent({
        owner: this.owner,
        repo: this.repo,
        path,
        ref,
      });
      return Array.isArray(out.data)
        ? out.data.filter((e) => e.type === "file").map((e) => e.path)
        : [];
    } catch (error) {
      if ((error as { status?: number }).status === 404) return [];
      throw error;
    }
  }

  async pullRequest(number: number): Promise<PullRequestInfo> {
    const { data } = await this.octokit.rest.pulls.get({
      owner: this.owner,
      repo: this.repo,
      pull_number: number,
    });
    const headRepo = data.head.repo?.full_name ?? "";
    return {
      number: data.number,
      author: data.user?.login ?? "",
      headSha: data.head.sha,
      headRef: data.head.ref,
      headRepo,
      baseRef: data.base.ref,
      ...(data.base.sha ? { baseSha: data.base.sha } : {}),
      state: data.state,
      merged: data.merged ?? false,
      mergeCommitSha: data.merge_commit_sha ?? null,
      mergeable: data.mergeable ?? null,
      mergeableState: data.mergeable_state ?? "unknown",
      fromFork: headRepo !== this.fullName,
      changedFileCount: data.changed_files ?? 0,
    };
  }

  async changedFiles(number: number, expected = 0): Promise<ChangedFile[]> {
    if (expected > PULL_FILES_LIMIT)
      throw new TooManyFilesError(
        `this PR changes ${expected} files; GitHub lists at most ${PULL_FILES_LIMIT} of a PR's files, so k3s-bot cannot tell which cluster definitions it changes. Split it into smaller PRs (definitions in their own PR).`,
      );
    const files = await this.octokit.paginate(this.octokit.rest.pulls.listFiles, {
      owner: this.owner,
      repo: this.repo,
      pull_number: number,
      per_page: 100,
    });
    if (files.length >= PULL_FILES_LIMIT)
      throw new TooManyFilesError(
        `GitHub listed ${files.length} changed files, its limit of ${PULL_FILES_LIMIT}: the list may be cut, so k3s-bot cannot tell which cluster definitions this PR changes. Split it into smaller PRs (definitions in their own PR).`,
      );
    return files.map((f) => ({
      filename: f.filename,
      status: f.status,
      ...(f.previous_filename ? { previousFilename: f.previous_filename } : {}),
    }));
  }

  async permission(user: string): Promise<Permission> {
    let data: { permission: string; role_name?: string };
    try {
      ({ data } = await this.octokit.rest.repos.getCollaboratorPermissionLevel({
        owner: this.owner,
        repo: this.repo,
        username: user,
      }));
    } catch (error) {
      // No such user (or none GitHub will describe): no permission at all.
      if ((error as { status?: number }).status === 404) return "none";
      throw error;
    }
    // A custom role's name says nothing here; its base permission (`permission`) does.
    const known = ["admin", "maintain", "write", "triage", "read"];
    const role = known.includes(data.role_name ?? "") ? data.role_name : data.permission;
    return (known.includes(role ?? "") ? role : "none") as Permission;
  }

  async reviews(number: number): Promise<Review[]> {
    const reviews = await this.octokit.paginate(this.octokit.rest.pulls.listReviews, {
      owner: this.owner,
      repo: this.repo,
      pull_number: number,
      per_page: 100,
    });
    return reviews.map((r) => ({
      user: r.user?.login ?? "",
      state: r.state,
      submittedAt: r.submitted_at ?? "",
      commitId: r.commit_id ?? null,
      userType: r.user?.type ?? "User",
    }));
  }

  async checkRuns(ref: string): Promise<CheckRunInfo[]> {
    const runs = await this.octokit.paginate(this.octokit.rest.checks.listForRef, {
      owner: this.owner,
      repo: this.repo,
      ref,
      per_page: 100,
    });
    return runs.map((r) => ({
      name: r.name,
      status: r.status,
      conclusion: r.conclusion,
      ...(r.app?.slug ? { appSlug: r.app.slug } : {}),
    }));
  }

  async defaultBranch(): Promise<string> {
    const { data } = await this.octokit.rest.repos.get({ owner: this.owner, repo: this.repo });
    return data.default_branch;
  }
}
