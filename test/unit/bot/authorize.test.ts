import { describe, expect, it } from "vitest";
import {
  type ApplyContext,
  applyRefusals,
  approvalState,
  mergeBlocker,
} from "../../../app/bot/authorize";
import { BotConfigSchema } from "../../../app/bot/config";
import type { PullRequestInfo, Review } from "../../../app/bot/github";

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
const review = (user: string, state: string, minute: number): Review => ({
  user,
  state,
  submittedAt: `2026-11-25T12:${String(minute).padStart(2, "0")}:00Z`,
});

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
    expect(approvalState(reviews, "alice").approved).toBe(approved);
  });
});

describe("mergeBlocker", () => {
  const botPending = { name: "k3s plan · dev", status: "in_progress", conclusion: null };
  const ciFailed = { name: "ci / test", status: "completed", conclusion: "failure" };
  it.each<
    [string, Partial<PullRequestInfo>, Array<typeof botPending | typeof ciFailed>, RegExp | null]
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
  ])("%s", (_name, overrides, runs, expected) => {
    const blocker = mergeBlocker({ ...pr, ...overrides }, runs);
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
