/**
 * Whether a merged PR's clusters are applied at the merge commit (`autoApplyOnMerge`).
 *
 * The merge stands in for `/k3s apply`, so it must be a reviewed merge: only merges into the
 * default branch (whose protection the operator sets: README, "Security model") or into a branch
 * listed in `autoApplyBranches` whose rules require an approving review. A PR merged into any
 * other branch — one its author may have created a minute ago, with no rules at all — applies
 * nothing, and a merged deletion there destroys nothing.
 */
import type { BotConfig } from "./config";
import type { PullRequestInfo, RepoGitHub } from "./github";
import { branchRequiresReview } from "./github-rules";

/** Null when the merge may apply; otherwise why not, for the PR. */
export async function mergeApplyRefusal(
  github: RepoGitHub,
  pr: PullRequestInfo,
  config: BotConfig,
): Promise<string | null> {
  const defaultBranch = await github.defaultBranch();
  if (pr.baseRef === defaultBranch) return null;
  const base = `\`${pr.baseRef.replace(/`/g, "'")}\``;
  if (!config.autoApplyBranches.includes(pr.baseRef))
    return `This PR was merged into ${base}, not into the default branch \`${defaultBranch}\`: nothing was planned or applied. Only merges into the default branch (or a protected branch listed in \`autoApplyBranches\` of \`.github/k3s-bot.yml\`) apply.`;
  if (!(await branchRequiresReview(github, pr.baseRef)))
    return `This PR was merged into ${base}, which \`autoApplyBranches\` lists, but no ruleset on ${base} requires an approving review: nothing was planned or applied. Add a branch ruleset that requires pull request approvals on ${base}.`;
  return null;
}
