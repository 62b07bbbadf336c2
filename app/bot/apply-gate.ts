/**
 * Gathers what `/k3s apply` is judged on (authorize.ts, approvals.ts) from GitHub: the
 * commenter's permission, the reviews and each reviewer's permission, who made the head commit,
 * the checks and GitHub's review decision when the PR is `blocked`.
 */

import { reviewersToCheck } from "./approvals";
import { applyRefusals } from "./authorize";
import type { BotConfig } from "./config";
import type { Permission, PullRequestInfo, RepoGitHub } from "./github";
import { commitPeople, reviewDecision } from "./github-rules";

/** Everything that stops this apply; empty when nothing does. */
export async function applyGate(
  github: RepoGitHub,
  pr: PullRequestInfo,
  user: string,
  config: BotConfig,
): Promise<string[]> {
  const permission = await github.permission(user);
  const needsReviews = config.apply.requirements.includes("approved");
  const blocked =
    config.apply.requirements.includes("mergeable") && pr.mergeableState === "blocked";
  const reviews = needsReviews ? await github.reviews(pr.number) : [];
  const reviewerPermissions = new Map<string, Permission>();
  for (const reviewer of reviewersToCheck(reviews, pr.author))
    reviewerPermissions.set(reviewer, await github.permission(reviewer));
  return applyRefusals({
    user,
    permission,
    pr,
    reviews,
    reviewerPermissions,
    pushers: needsReviews ? await commitPeople(github, pr.headSha) : [],
    checkRuns: blocked ? await github.checkRuns(pr.headSha) : [],
    reviewDecision: blocked ? await reviewDecision(github, pr.number) : null,
    config,
  });
}
