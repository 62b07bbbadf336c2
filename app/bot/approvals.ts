/**
 * Which reviews count as the approval `/k3s apply` needs. Anyone who can read a repository can
 * submit a review, bots included ("Anyone with read access can review and comment on proposed
 * changes", docs.github.com/pull-requests/reference/pull-request-reviews, read 2026-11-29), and a
 * review belongs to the commit it was given on (`commit_id`, REST "List reviews for a pull
 * request", docs.github.com/en/rest/pulls/reviews, read 2026-11-29). So an approval counts only
 * when it is
 *   - the reviewer's latest decisive review (a later change request or dismissal undoes it),
 *   - given on the commit that was planned and is applied (the PR's head),
 *   - by someone with write access or more (asked of GitHub, not read from `author_association`),
 *   - by a person: never a bot (`github-actions[bot]` can approve when Actions may approve PRs),
 *   - by neither the PR's author nor the last pusher (the people its head commit names), so
 *     whoever wrote the change is never the one who approved it.
 * A change request blocks while it is its author's latest review, whatever commit it was given
 * on, when that author can write (GitHub's required reviews count the same people).
 */
import type { Permission, Review } from "./github";
import { canWrite } from "./permissions";

export interface ApprovalFacts {
  author: string;
  /** The commit being applied. */
  headSha: string;
  /** Logins GitHub attributes the head commit to (github-rules.ts, commitPeople). */
  pushers: readonly string[];
  /** Each reviewer's permission on the repository. */
  permissions: ReadonlyMap<string, Permission>;
}

export interface ApprovalState {
  approved: boolean;
  approvers: string[];
  changesRequestedBy: string[];
  /** Approvals that did not count, each with the reason (shown when apply is refused). */
  ignored: string[];
}

export function isBotAccount(review: Pick<Review, "user" | "userType">): boolean {
  return review.userType === "Bot" || review.user.endsWith("[bot]");
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Each reviewer's latest decisive review, by time. */
function latestDecisive(reviews: readonly Review[]): Map<string, Review> {
  const latest = new Map<string, Review>();
  const ordered = [...reviews].sort((a, b) => a.submittedAt.localeCompare(b.submittedAt));
  for (const review of ordered) {
    if (review.user === "") continue;
    if (["APPROVED", "CHANGES_REQUESTED", "DISMISSED"].includes(review.state))
      latest.set(review.user, review);
  }
  return latest;
}

/** Reviewers whose permission the approval check needs (every human who is not the author). */
export function reviewersToCheck(reviews: readonly Review[], author: string): string[] {
  return [...latestDecisive(reviews).values()]
    .filter((r) => !isBotAccount(r) && !same(r.user, author))
    .map((r) => r.user);
}

export function approvalState(reviews: readonly Review[], facts: ApprovalFacts): ApprovalState {
  const approvers: string[] = [];
  const changesRequestedBy: string[] = [];
  const ignored: string[] = [];
  for (const review of latestDecisive(reviews).values()) {
    const who = `@${review.user}`;
    if (same(review.user, facts.author)) continue;
    const writes = canWrite(facts.permissions.get(review.user) ?? "none");
    if (review.state === "CHANGES_REQUESTED") {
      if (writes && !isBotAccount(review)) changesRequestedBy.push(review.user);
      continue;
    }
    if (review.state !== "APPROVED") continue;
    if (isBotAccount(review)) ignored.push(`${who} is a bot`);
    else if (!writes)
      ignored.push(`${who} has no write access (${facts.permissions.get(review.user) ?? "none"})`);
    else if (facts.pushers.some((p) => same(p, review.user)))
      ignored.push(`${who} made the head commit`);
    else if (review.commitId !== facts.headSha)
      ignored.push(
        `${who} approved ${review.commitId ? `\`${review.commitId.slice(0, 7)}\`` : "an earlier commit"}, not the head \`${facts.headSha.slice(0, 7)}\``,
      );
    else approvers.push(review.user);
  }
  return {
    approved: approvers.length > 0 && changesRequestedBy.length === 0,
    approvers,
    changesRequestedBy,
    ignored,
  };
}
