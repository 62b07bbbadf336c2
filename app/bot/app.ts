/**
 * The Probot app: webhooks in, workflow calls out. Handlers stay thin; everything they do is
 * in workflow.ts and testable without a server.
 */
import type { Probot } from "probot";
import type { ClusterRuns } from "../engine/cluster-runs";
import { RepoGitHub } from "./github";
import { type AfterApply, PullRequestWorkflow } from "./workflow";

/** Every event the app handles; app.yml subscribes to exactly these (a test checks). */
export const HANDLED_EVENTS = [
  "issue_comment.created",
  "pull_request.opened",
  "pull_request.reopened",
  "pull_request.synchronize",
  "pull_request.closed",
] as const;

export interface BotDependencies {
  runs: ClusterRuns;
  /** Called after each successful apply (the GitOps hand-off). */
  afterApply?: AfterApply;
}

export function createK3sBot(deps: BotDependencies) {
  return (app: Probot): void => {
    const workflowFor = (
      octokit: RepoGitHub["octokit"],
      owner: string,
      repo: string,
      log: Probot["log"],
    ) =>
      new PullRequestWorkflow(
        new RepoGitHub(octokit, owner, repo),
        deps.runs,
        {
          info: (message) => log.info(message),
          error: (message) => log.error(message),
        },
        deps.afterApply,
      );

    app.on("issue_comment.created", async (context) => {
      const { comment, issue, repository } = context.payload;
      await workflowFor(
        context.octokit,
        repository.owner.login,
        repository.name,
        context.log,
      ).onComment({
        commentId: comment.id,
        body: comment.body,
        user: comment.user?.login ?? "",
        userType: comment.user?.type ?? "User",
        issueNumber: issue.number,
        isPullRequest: Boolean(issue.pull_request),
      });
    });

    app.on(
      ["pull_request.opened", "pull_request.reopened", "pull_request.synchronize"],
      async (context) => {
        const { pull_request: pr, repository, sender } = context.payload;
        await workflowFor(
          context.octokit,
          repository.owner.login,
          repository.name,
          context.log,
        ).onPullRequestUpdated(pr.number, sender.login);
      },
    );

    app.on("pull_request.closed", async (context) => {
      const { pull_request: pr, repository, sender } = context.payload;
      await workflowFor(
        context.octokit,
        repository.owner.login,
        repository.name,
        context.log,
      ).onPullRequestClosed(pr.number, pr.merged ?? false, sender.login);
    });
  };
}
