/**
 * A pull request's life with the bot: each webhook becomes one call here, which hands it to its
 * handler. parse (commands/parse.ts) → the command's runner (commands/registry.ts) or the
 * event's handler (events/) → steps (steps/: plan, apply) → report (comments, check runs).
 * Every handler runs guarded (guarded.ts): a failure is reported on the PR, never dropped.
 */
import type { ClusterRuns } from "../engine/cluster-runs";
import { OpenCheckRuns } from "./check-runs";
import { parseComment } from "./commands";
import { COMMAND_RUNNERS } from "./commands/registry";
import { readBotConfig } from "./config";
import type { AfterApply, EventContext, Logger, TrackRun } from "./context";
import { autoplan } from "./events/autoplan";
import { closed } from "./events/closed";
import type { RepoGitHub } from "./github";
import { guarded } from "./guarded";

export type { AfterApply, AppliedCluster, Logger, TrackRun } from "./context";

export interface CommentEvent {
  commentId: number;
  body: string;
  user: string;
  /** "Bot" for apps, including this one: bots never trigger the bot. */
  userType: string;
  issueNumber: number;
  isPullRequest: boolean;
}

/** One per webhook event (app.ts): its check runs and config belong to that event only. */
export class PullRequestWorkflow {
  private readonly ctx: EventContext;

  constructor(
    github: RepoGitHub,
    runs: ClusterRuns,
    log: Logger,
    afterApply?: AfterApply,
    track: TrackRun = (_run, work) => work(),
  ) {
    this.ctx = {
      github,
      runs,
      log,
      track,
      checks: new OpenCheckRuns(github),
      ...(afterApply ? { afterApply } : {}),
    };
  }

  async onComment(event: CommentEvent): Promise<void> {
    if (!event.isPullRequest || event.userType === "Bot") return;
    const parsed = parseComment(event.body);
    if (parsed.type === "ignore") return;
    const { github } = this.ctx;
    await guarded(
      this.ctx,
      `command on #${event.issueNumber}`,
      event.issueNumber,
      async () => {
        await github.react(event.commentId, "eyes");
        if (parsed.type === "error") {
          await github.comment(event.issueNumber, parsed.reply);
          return;
        }
        const config = await readBotConfig(github);
        if (!config.ok) {
          await github.comment(event.issueNumber, `k3s-bot cannot run: ${config.message}`);
          await github.react(event.commentId, "confused");
          return;
        }
        const runner = COMMAND_RUNNERS[parsed.command.kind];
        const pr = await github.pullRequest(event.issueNumber);
        const ok = await runner.run(this.ctx, {
          pr,
          clusters: parsed.command.clusters,
          overrides: parsed.command.overrides,
          user: event.user,
          config: config.config,
        });
        await github.react(event.commentId, ok ? runner.doneReaction : "confused");
      },
      event.commentId,
    );
  }

  /** Autoplan on opened / synchronize / reopened, when definitions changed. */
  async onPullRequestUpdated(number: number, user: string): Promise<void> {
    await guarded(this.ctx, `autoplan of #${number}`, number, () =>
      autoplan(this.ctx, number, user),
    );
  }

  /** Merged: apply what was merged (if configured), then release. Closed: release. */
  async onPullRequestClosed(number: number, merged: boolean, user: string): Promise<void> {
    await guarded(this.ctx, `closing #${number}`, number, () =>
      closed(this.ctx, number, merged, user),
    );
  }
}
