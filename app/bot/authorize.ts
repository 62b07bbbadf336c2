/**
 * Step 2 of a command's life: may this person run it on this PR now?
 * Pure functions over what GitHub told us, so every rule has a table-driven test.
 */
import type { BotConfig } from "./config";
import type { CheckRunInfo, Permission, PullRequestInfo, Review } from "./github";

const WRITE_OR_MORE: readonly Permission[] = ["write", "maintain", "admin"];

export function canWrite(permission: Permission): boolean {
  return WRITE_OR_MORE.includes(permission);
}

/** Names of the bot's own check runs; they never count against mergeability. */
export const BOT_CHECK_PREFIXES = ["k3s plan", "k3s apply"];

export function isBotCheck(name: string): boolean {
  return BOT_CHECK_PREFIXES.some((prefix) => name.startsWith(prefix));
}

export interface ApprovalState {
  approved: boolean;
  approvers: string[];
  changesRequestedBy: string[];
}

/**
 * Each reviewer's latest decisive review counts (a later COMMENTED review does not undo an
 * approval; a later APPROVED undoes a change request). The author's own reviews never count
 * (Atlantis #2112 applied with an approval that should not have counted).
 */
export function approvalState(reviews: readonly Review[], author: string): ApprovalState {
  const latest = new Map<string, string>();
  const ordered = [...reviews].sort((a, b) => a.submittedAt.localeCompare(b.submittedAt));
  for (const review of ordered) {
    if (review.user === author || review.user === "") continue;
    if (["APPROVED", "CHANGES_REQUESTED", "DISMISSED"].includes(review.state))
      latest.set(review.user, review.state);
  }
  const approvers = [...latest].filter(([, s]) => s === "APPROVED").map(([u]) => u);
  const changesRequestedBy = [...latest]
    .filter(([, s]) => s === "CHANGES_REQUESTED")
    .map(([u]) => u);
  return {
    approved: approvers.length > 0 && changesRequestedBy.length === 0,
    approvers,
    changesRequestedBy,
  };
}

/**
 * Why the PR is not mergeable, ignoring the bot's own checks (Atlantis #523: the bot's pending
 * check made the PR unmergeable, so apply could never run). Null when it is mergeable.
 */
export function mergeBlocker(
  pr: PullRequestInfo,
  checkRuns: readonly CheckRunInfo[],
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
  }
  return null;
}

export interface ApplyContext {
  user: string;
  permission: Permission;
  pr: PullRequestInfo;
  reviews: readonly Review[];
  checkRuns: readonly CheckRunInfo[];
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
    const approval = approvalState(context.reviews, context.pr.author);
    if (approval.changesRequestedBy.length > 0) {
      refusals.push(
        `changes were requested by ${approval.changesRequestedBy.map((u) => `@${u}`).join(", ")}`,
      );
    } else if (!approval.approved) {
      refusals.push("the PR needs an approval from someone other than its author");
    }
  }
  if (requirements.includes("mergeable")) {
    const blocker = mergeBlocker(context.pr, context.checkRuns);
    if (blocker) refusals.push(blocker);
  }
  return refusals;
}
