/**
 * What GitHub itself says about who changed a pull request and what its branch rules require:
 * the facts the approval check (approvals.ts) and apply-on-merge (merge-apply.ts) stand on.
 * Each call needs only the permissions app.yml already asks for (pull requests, contents,
 * metadata: read).
 */
import type { RepoGitHub } from "./github";

/**
 * The accounts GitHub attributes the commit to: its author and committer, as linked from their
 * e-mail addresses (REST "Get a commit": `author` and `committer` are GitHub users or null;
 * docs.github.com/en/rest/commits/commits#get-a-commit, read 2026-11-29).
 *
 * This is the bot's stand-in for "the last pusher": GitHub's REST API does not say who pushed a
 * commit. Git metadata can be forged, so this only ever adds people whose approval does not count;
 * the pusher GitHub itself knows is enforced by branch protection's "Require approval of the most
 * recent reviewable push", which the bot honours through `mergeable_state: blocked`
 * (docs/security.md, "Approvals").
 */
export async function commitPeople(github: RepoGitHub, sha: string): Promise<string[]> {
  const { data } = await github.octokit.rest.repos.getCommit({
    owner: github.owner,
    repo: github.repo,
    ref: sha,
  });
  return [data.author?.login, data.committer?.login].filter(
    (login): login is string => typeof login === "string" && login !== "",
  );
}

export type ReviewDecision = "APPROVED" | "CHANGES_REQUESTED" | "REVIEW_REQUIRED" | null;

/**
 * GitHub's own verdict on a PR's reviews under the repository's rules (GraphQL
 * `PullRequest.reviewDecision`: APPROVED, CHANGES_REQUESTED or REVIEW_REQUIRED, null when no
 * review is required; docs.github.com/en/graphql/reference/enums#pullrequestreviewdecision, read
 * 2026-11-29). It covers required approvals, CODEOWNERS and stale-review dismissal, which the
 * REST `mergeable_state: blocked` lumps together with required checks.
 */
export async function reviewDecision(github: RepoGitHub, number: number): Promise<ReviewDecision> {
  const result = await github.octokit.graphql<{
    repository: { pullRequest: { reviewDecision: ReviewDecision } | null } | null;
  }>(
    "query($owner: String!, $repo: String!, $number: Int!) { repository(owner: $owner, name: $repo) { pullRequest(number: $number) { reviewDecision } } }",
    { owner: github.owner, repo: github.repo, number },
  );
  return result.repository?.pullRequest?.reviewDecision ?? null;
}

/**
 * Whether a branch's active rules require at least one approving review before a merge. Read
 * with REST "Get rules for a branch", which returns every active rule for the branch whatever
 * level it is set at, and needs only "Metadata" read (docs.github.com/en/rest/repos/rules#get-rules-for-a-branch,
 * read 2026-11-29); a `pull_request` rule carries `required_approving_review_count`. Classic
 * branch protection is not readable here ("Get branch protection" needs Administration read,
 * which the App does not ask for), so a branch counts as protected only through a ruleset.
 */
export async function branchRequiresReview(github: RepoGitHub, branch: string): Promise<boolean> {
  const rules = await github.octokit.paginate(github.octokit.rest.repos.getBranchRules, {
    owner: github.owner,
    repo: github.repo,
    branch,
    per_page: 100,
  });
  return rules.some((rule) => {
    if (rule.type !== "pull_request") return false;
    const parameters = (rule as { parameters?: { required_approving_review_count?: number } })
      .parameters;
    return (parameters?.required_approving_review_count ?? 0) >= 1;
  });
}
