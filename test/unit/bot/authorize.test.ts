import { describe, expect, it } from "vitest";
import { type ApprovalFacts, approvalState } from "../../../app/bot/approvals";
import { type ApplyContext, applyRefusals, mergeBlocker } from "../../../app/bot/authorize";
import { BotConfigSchema } from "../../../app/bot/config";
import type { Permission, PullRequestInfo, Review } from "../../../app/bot/github";

const pr: PullRequestInfo = {
  number: 7,
  author: "alice",
  headSha: "a".repeat(40),
  headRef: "grow-dev",
  headRepo: "acme/infra",
  baseRef: "main",
  state: "open",
  merged: false,
  mergeCommitSha: null,
  mergeable: true,
  mergeableState: "clean",
  fromFork: false,
};
const review = (
  user: string,
  state: string,
  minute: number,
  more: Partial<Review> = {},
): Review => ({
  user,
  state,
  submittedAt: `2026-11-25T12:${String(minute).padStart(2, "0")}:00Z`,
  commitId: pr.headSha,
  userType: "User",
  ...more,
});
const writers = new Map<string, Permission>(
  ["alice", "bob", "carol", "dave"].map((u) => [u, "write"]),
);
const facts: ApprovalFacts = {
  author: "alice",
  headSha: pr.headSha,
  pushers: [],
  permissions: writers,
};

describe("approvalState", () => {
  it.each<[string, Review[], boolean]>([
    ["no reviews", [], false],
    ["approved by a reviewer", [review("bob", "APPROVED", 1)], true],
    ["the author's own approval does not count", [review("alice", "APPROVED", 1)], false],
    [
      "a later comment keeps the approval",
      [review("bob", "APPROVED", 1), review("bob", "COMMENTED", 2)],
      true,
    ],
    [
      "a later change request undoes it",
      [review("bob", "APPROVED", 1), review("bob", "CHANGES_REQUESTED", 2)],
      false,
    ],
    [
      "a later approval undoes a change request",
      [review("bob", "CHANGES_REQUESTED", 1), review("bob", "APPROVED", 2)],
      true,
    ],
    [
      "another reviewer's change request blocks",
      [review("bob", "APPROVED", 1), review("carol", "CHANGES_REQUESTED", 2)],
      false,
    ],
    [
      "a dismissed approval does not count",
      [review("bob", "APPROVED", 1), review("bob", "DISMISSED", 2)],
      false,
    ],
    [
      "order is by time, not by list position",
      [review("bob", "CHANGES_REQUESTED", 5), review("bob", "APPROVED", 1)],
      false,
    ],
  ])("%s", (_name, reviews, approved) => {
    expect(approvalState(reviews, facts).approved).toBe(approved);
  });

  it.each<[string, Review[], Partial<ApprovalFacts>, RegExp]>([
    [
      "an approval of an earlier commit",
      [review("bob", "APPROVED", 1, { commitId: "b".repeat(40) })],
      {},
      /@bob approved `bbbbbbb`, not the head `aaaaaaa`/,
    ],
    ["a reviewer without write access", [review("mallory", "APPROVED", 1)], {}, /no write access/],
    [
      "a bot",
      [review("github-actions[bot]", "APPROVED", 1, { userType: "Bot" })],
      { permissions: new Map([["github-actions[bot]", "write"]]) },
      /is a bot/,
    ],
    [
      "the last pusher of someone else's PR",
      [review("bob", "APPROVED", 1)],
      { pushers: ["bob"] },
      /@bob made the head commit/,
    ],
  ])("does not count %s", (_name, reviews, overrides, reason) => {
    const state = approvalState(reviews, { ...facts, ...overrides });
    expect(state.approved).toBe(false);
    expect(state.ignored.join("; ")).toMatch(reason);
  });

  it("a change request by someone without write access does not block", () => {
    const state = approvalState(
      [review("bob", "APPROVED", 1), review("mallory", "CHANGES_REQUESTED", 2)],
      facts,
    );
    expect(state.approved).toBe(true);
  });
});

describe("mergeBlocker", () => {
  const botPending = { name: "k3s plan · dev", status: "in_progress", conclusion: null };
  const ciFailed = { name: "ci / test", status: "completed", conclusion: "failure" };
  it.each<
    [
      string,
      Partial<PullRequestInfo>,
      Array<typeof botPending | typeof ciFailed>,
      RegExp | null,
      ("APPROVED" | "REVIEW_REQUIRED" | "CHANGES_REQUESTED" | null)?,
    ]
  >([
    ["clean", {}, [], null],
    ["conflicts", { mergeable: false, mergeableState: "dirty" }, [], /merge conflicts/],
    ["still computing", { mergeable: null }, [], /still computing/],
    ["behind", { mergeableState: "behind" }, [], /behind its base/],
    ["blocked only by the bot's own check", { mergeableState: "blocked" }, [botPending], null],
    [
      "blocked by another failing check",
      { mergeableState: "blocked" },
      [botPending, ciFailed],
      /`ci \/ test`/,
    ],
    [
      "blocked by required reviews (CODEOWNERS, approval count)",
      { mergeableState: "blocked" },
      [botPending],
      /requires reviews/,
      "REVIEW_REQUIRED",
    ],
    [
      "blocked with the reviews approved: the bot's own required check",
      { mergeableState: "blocked" },
      [botPending],
      null,
      "APPROVED",
    ],
  ])("%s", (_name, overrides, runs, expected, decision = null) => {
    const blocker = mergeBlocker({ ...pr, ...overrides }, runs, decision);
    if (expected === null) expect(blocker).toBeNull();
    else expect(blocker).toMatch(expected);
  });
});

describe("applyRefusals", () => {
  const config = BotConfigSchema.parse({});
  const base: ApplyContext = {
    user: "bob",
    permission: "write",
    pr,
    reviews: [review("carol", "APPROVED", 1)],
    reviewerPermissions: writers,
    pushers: [],
    checkRuns: [],
    config,
  };
  it.each<[string, Partial<ApplyContext>, RegExp | null]>([
    ["all requirements met", {}, null],
    ["read-only commenter", { permission: "read" }, /needs write access/],
    ["triage is not enough", { permission: "triage" }, /needs write access/],
    ["admin without approval", { permission: "admin", reviews: [] }, /needs an approval/],
    [
      "fork PR",
      { pr: { ...pr, fromFork: true, headRepo: "mallory/infra" } },
      /forks can never apply/,
    ],
    ["closed PR", { pr: { ...pr, state: "closed" } }, /not open/],
    ["conflicts", { pr: { ...pr, mergeable: false, mergeableState: "dirty" } }, /merge conflicts/],
    [
      "no approval needed when configured so",
      { reviews: [], config: BotConfigSchema.parse({ apply: { requirements: ["mergeable"] } }) },
      null,
    ],
  ])("%s", (_name, overrides, expected) => {
    const refusals = applyRefusals({ ...base, ...overrides });
    if (expected === null) expect(refusals).toEqual([]);
    else expect(refusals.join("\n")).toMatch(expected);
  });
});
