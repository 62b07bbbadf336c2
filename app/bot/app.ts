/**
 * The Probot app: webhooks in, workflow calls out. Handlers stay thin; everything they do is
 * in workflow.ts (which hands each event to its handler in commands/ or events/) and testable
 * without a server.
 */
import type { Context, Probot } from "probot";
import type { ClusterRuns } from "../engine/cluster-runs";
import { redactSecrets } from "../engine/redact";
import { parseComment } from "./commands";
import { commentKey, type DeliveryLog } from "./deliveries";
import { RepoGitHub } from "./github";
import type { ReadyWatcher } from "./ready-watch";
import type { RunJournal } from "./run-journal";
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
  /**
   * Where plans and applies are recorded while they run (run-journal.ts): once it is stopping the
   * app takes no new work, and a run a restart or crash interrupted is reported on its PR.
   */
  journal?: RunJournal;
  /**
   * The login the bot comments as; only its own comments are ever edited. By default the App's
   * (`<slug>[bot]`, from GET /app with the App's JWT); the Action passes `github-actions[bot]`.
   */
  botLogin?: string;
  /** Watches each applied cluster until it reports ready (ready-watch.ts). */
  readyWatch?: ReadyWatcher;
}

export function createK3sBot(deps: BotDependencies) {
  return (app: Probot): void => {
    const { journal } = deps;
    journal?.start(async (installationId, fullName) => {
      const [owner = "", repo = ""] = fullName.split("/");
      return new RepoGitHub((await app.auth(installationId)) as never, owner, repo, () =>
        selfLogin(),
      );
    });
    // Asked once, on first need; a failure is retried at the next event.
    let identity: Promise<string> | undefined;
    const selfLogin = (): Promise<string> => {
      if (deps.botLogin) return Promise.resolve(deps.botLogin);
      identity ??= (async () => {
        const octokit = (await app.auth()) as unknown as RepoGitHub["octokit"];
        const { data } = await octokit.rest.apps.getAuthenticated();
        if (!data?.slug) throw new Error("GitHub did not name this App (GET /app)");
        return `${data.slug}[bot]`;
      })().catch((error: unknown) => {
        identity = undefined;
        throw error;
      });
      return identity;
    };
    const workflowFor = (context: Context, owner: string, repo: string) => {
      const github = new RepoGitHub(context.octokit, owner, repo, selfLogin);
      const installationId = (context.payload as { installation?: { id: number } }).installation
        ?.id;
      return new PullRequestWorkflow(
        github,
        deps.runs,
        {
          info: (message) => context.log.info(redactSecrets(message)),
          error: (message) => context.log.error(redactSecrets(message)),
        },
        deps.afterApply,
        journal && installationId !== undefined
          ? (run, work) => journal.track(github, installationId, run, work)
          : undefined,
        deps.readyWatch
          ? {
              watch: (job) =>
                deps.readyWatch?.begin(github, installationId, job) ?? Promise.resolve(),
              read: deps.readyWatch.read,
            }
          : {},
      );
    };

    /** Stopping: no new work; the PR is told what did not run, and what to do. */
    const refusedWhileStopping = async (context: Context, issue: number, what: string) => {
      if (!journal?.stopping) return false;
      context.log.info(`delivery ${context.id} refused: k3s-bot is stopping`);
      await context.octokit.rest.issues.createComment(
        context.repo({ issue_number: issue, body: `k3s-bot was restarting and did not ${what}.` }),
      );
      return true;
    };

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
      // Operators see each command arrive (first line only, redacted, cut to 200 characters).
      context.log.info(
        `${repository.full_name}#${issue.number}: ${comment.user?.login ?? "?"} commented ${JSON.stringify(redactSecrets(comment.body.split("\n")[0] ?? "").slice(0, 200))}`,
      );
      if (comment.user?.type !== "Bot" && issue.pull_request)
        if (
          await refusedWhileStopping(
            context,
            issue.number,
            "run this command; comment it again in a minute",
          )
        )
          return;
      if (!(await firstClaim(context, commentKey(repository.full_name, comment.id)))) return;
      await workflowFor(context, repository.owner.login, repository.name).onComment({
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
        if (
          await refusedWhileStopping(
            context,
            pr.number,
            "plan this commit; comment `/k3s plan` in a minute",
          )
        )
          return;
        if (!(await firstClaim(context))) return;
        await workflowFor(context, repository.owner.login, repository.name).onPullRequestUpdated(
          pr.number,
          sender.login,
        );
      },
    );

    app.on("pull_request.closed", async (context) => {
      const { pull_request: pr, repository, sender } = context.payload;
      if (
        await refusedWhileStopping(
          context,
          pr.number,
          "release the locks of this PR; reopen and close it, or comment `/k3s unlock <cluster>`",
        )
      )
        return;
      if (!(await firstClaim(context))) return;
      await workflowFor(context, repository.owner.login, repository.name).onPullRequestClosed(
        pr.number,
        pr.merged ?? false,
        sender.login,
      );
    });
  };
}
