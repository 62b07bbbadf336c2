/**
 * Never a silent drop: when an event's work fails (GitHub still failing after Octokit's bounded
 * retries, AWS unreachable, a bug), it is logged, every check run it started is completed as
 * failed, and the PR gets a comment saying what broke. If GitHub refuses even those, the log
 * line says so, and the error is raised to Probot, which logs the delivery as failed.
 */
import { describeError } from "../engine/cluster-runs";
import * as text from "./comments";
import type { EventContext } from "./context";
import { TooManyFilesError } from "./github";

export async function guarded(
  ctx: EventContext,
  what: string,
  issueNumber: number,
  work: () => Promise<void>,
  commentId?: number,
): Promise<void> {
  const { github } = ctx;
  try {
    await work();
  } catch (error) {
    if (error instanceof TooManyFilesError) {
      // Not a failure of the bot: the PR is beyond what GitHub lists. Say so plainly.
      await github.comment(issueNumber, `k3s-bot cannot run on this PR: ${error.message}`);
      if (commentId !== undefined) await github.react(commentId, "confused");
      return;
    }
    const message = describeError(error);
    ctx.log.error(`${what} failed: ${message}`);
    const unreported: string[] = [];
    for (const id of ctx.checks.unfinished()) {
      try {
        await ctx.checks.finish(id, "failure", {
          title: "k3s-bot stopped before it finished",
          summary: text.unexpectedFailure(message),
        });
      } catch (checkError) {
        unreported.push(`check run ${id}: ${describeError(checkError)}`);
      }
    }
    try {
      await github.comment(issueNumber, text.unexpectedFailure(message));
      if (commentId !== undefined) await github.react(commentId, "confused");
    } catch (commentError) {
      unreported.push(`comment: ${describeError(commentError)}`);
    }
    if (unreported.length > 0) {
      ctx.log.error(`${what}: could not report the failure on GitHub (${unreported.join("; ")})`);
      throw error;
    }
  }
}
