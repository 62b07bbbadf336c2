/**
 * The Probot app: webhooks in, workflow calls out. Handlers stay thin; everything they do is
 * in workflow.ts and testable without a server.
 */
import type { Context, Probot } from "probot";
import type { ClusterRuns } from "../engine/cluster-runs";
import { redactSecrets } from "../engine/redact";
import { parseComment } from "./commands";
import { commentKey, type DeliveryLog } from "./deliveries";
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
  /**
   * Where deliveries are claimed so each runs at most once across replicas (deliveries.ts).
   * Without one, a redelivered webhook runs again.
   */
  deliveries?: DeliveryLog;
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
          info: (message) => log.info(redactSecrets(message)),
          error: (message) => log.error(redactSecrets(message)),
        },
        deps.afterApply,
      );

    /** Whether this replica should handle the event: the first to claim it does. */
    const firstClaim = async (context: Context, eventKey?: string): Promise<boolean> => {
      if (!deps.deliveries) return true;
      const result = await deps.deliveries.claim({
        deliveryId: context.id,
        event: context.name,
        ...(eventKey ? { eventKey } : {}),
      });
      if ("error" in result)
        context.log.error(
          `could not record delivery ${context.id} (handling it anyway): ${redactSecrets(result.error)}`,
        );
      if (!result.run)
        context.log.info(`delivery ${context.id} skipped: ${result.reason.replace("-", " ")}`);
      return result.run;
    };

    app.on("issue_comment.created", async (context) => {
      const { comment, issue, repository } = context.payload;
      // Conversation is not recorded; only comments the bot would act on are claimed, by
      // delivery and by comment id (the same comment delivered twice runs once).
      if (parseComment(comment.body).type === "ignore") return;
      if (!(await firstClaim(context, commentKey(repository.full_name, comment.id)))) return;
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
        if (!(await firstClaim(context))) return;
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
      if (!(await firstClaim(context))) return;
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
