/**
 * Step 2 of a command's life: may this person run it on this PR now?
 * Pure functions over what GitHub told us, so every rule has a table-driven test.
 */
import { type ApprovalState, approvalState } from "./approvals";
import type { BotConfig } from "./config";
import type { CheckRunInfo, Permission, PullRequestInfo, Review } from "./github";
import type { ReviewDecision } from "./github-rules";
import { canWrite } from "./permissions";

export { canWrite };

/** Names of the bot's own check runs; they never count against mergeability. */
export const BOT_CHECK_PREFIXES = ["k3s plan", "k3s apply"];

export function isBotCheck(name: string): boolean {
  return BOT_CHECK_PREFIXES.some((prefix) => name.startsWith(prefix));
}

export type { ApprovalState };

/**
 * Why the PR is not mergeable, ignoring the bot's own checks (Atlantis #523: the bot's pending
 * check made the PR unmergeable, so apply could never run). Null when it is mergeable.
 *
 * `blocked` (REST `mergeable_state`) means the base branch's rules are not met: a required check,
 * or required reviews / CODEOWNERS / approval of the latest push. Checks are judged here from the
 * check runs (the bot's own excepted); reviews from GitHub's own `reviewDecision`, which applies
 * the same rules: REVIEW_REQUIRED or CHANGES_REQUESTED refuses. A PR blocked with every other
 * check green and its reviews approved is blocked by the bot's own required check, and may apply.
 */
export function mergeBlocker(
  pr: PullRequestInfo,
  checkRuns: readonly CheckRunInfo[],
  decision: ReviewDecision = null,
): string | null {
  if (pr.mergeable === false || pr.mergeableState === "dirty")
    return "the PR has merge conflicts with its base branch";
  if (pr.mergeable === null)
    return "GitHub is still computing whether the PR is mergeable; try again in a minute";
  if (pr.mergeableState === "behind")
    return "the PR branch is behind its base branch and must be updated";
  if (pr.mergeableState === "draft") return "the PR is a draft";
  if (pr.mergeableState === "blocked") {
    const failing = checkRuns.filter(
      (run) =>
        !isBotCheck(run.name) &&
        (run.status !== "completed" ||
          !["success", "neutral", "skipped"].includes(run.conclusion ?? "")),
    );
    if (failing.length > 0)
      return `required checks are not green: ${failing.map((r) => `\`${r.name}\``).join(", ")}`;
    if (decision === "REVIEW_REQUIRED")
      return `the base branch \`${pr.baseRef}\` requires reviews this PR does not have yet (GitHub: REVIEW_REQUIRED — required approvals, code owners, or approval of the latest push)`;
    if (decision === "CHANGES_REQUESTED")
      return "a reviewer requested changes (GitHub: CHANGES_REQUESTED)";
  }
  return null;
}

export interface ApplyContext {
  user: string;
  permission: Permission;
  pr: PullRequestInfo;
  reviews: readonly Review[];
  /** Each reviewer's permission. */
  reviewerPermissions: ReadonlyMap<string, Permission>;
  /** Logins GitHub attributes the head commit to: their approvals do not count. */
  pushers: readonly string[];
  checkRuns: readonly CheckRunInfo[];
  reviewDecision?: ReviewDecision;
  config: BotConfig;
}

/** Everything that stops `/k3s apply` for the PR as a whole; empty when nothing does. */
export function applyRefusals(context: ApplyContext): string[] {
  const refusals: string[] = [];
  if (context.pr.fromFork)
    refusals.push("PRs from forks can never apply; push the branch to this repository");
  if (!canWrite(context.permission)) {
    refusals.push(
      `@${context.user} needs write access to this repository to apply (has: ${context.permission})`,
    );
  }
  if (context.pr.state !== "open") refusals.push("the PR is not open");
  const requirements = context.config.apply.requirements;
  if (requirements.includes("approved")) {
    const approval = approvalState(context.reviews, {
      author: context.pr.author,
      headSha: context.pr.headSha,
      pushers: context.pushers,
      permissions: context.reviewerPermissions,
    });
    if (approval.changesRequestedBy.length > 0) {
      refusals.push(
        `changes were requested by ${approval.changesRequestedBy.map((u) => `@${u}`).join(", ")}`,
      );
    } else if (!approval.approved) {
      const why =
        approval.ignored.length > 0 ? ` (not counted: ${approval.ignored.join("; ")})` : "";
      refusals.push(
        `the head commit \`${context.pr.headSha.slice(0, 7)}\` needs an approval by someone with write access who is neither its author nor its last pusher${why}`,
      );
    }
  }
  if (requirements.includes("mergeable")) {
    const blocker = mergeBlocker(context.pr, context.checkRuns, context.reviewDecision ?? null);
    if (blocker) refusals.push(blocker);
  }
  return refusals;
}
