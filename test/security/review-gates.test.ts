/**
 * Only a reviewed change reaches a cluster. Attackers played through the real app (Probot, real
 * webhook payloads, GitHub faked by FakeGitHub, locks in the emulator's DynamoDB, Terraform the
 * recording fake): a user with write access, a read-only commenter, a bot, a pusher approving
 * their own push. Each test names what it guards; each failed before the fix it covers.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type BotHarness, REPO, sha, smallCluster, startBot } from "../support/bot-harness";
import { lockOf, useEmulatorWithFakeTerraform } from "../support/emulator-with-fake-terraform";
import { issueCommentCreated, pullRequestEvent } from "../support/payloads";

let bot: BotHarness;
const [A, B, M] = [sha("a"), sha("b"), sha("c")];
const PLAN = "<!-- k3s-bot:plan:dev -->";

const { emulator, terraform } = useEmulatorWithFakeTerraform();
beforeEach(async () => {
  bot = startBot(emulator.url);
  const gh = bot.github;
  gh.setFile("main", "clusters/dev.yaml", smallCluster("dev"));
  gh.setFile(A, "clusters/dev.yaml", smallCluster("dev").replace("max: 2", "max: 3"));
  gh.permissions.set("alice", "write");
  gh.permissions.set("bob", "write");
  gh.permissions.set("carol", "read");
});
afterEach(() => bot.close());

const comment = (pullRequest: number, body: string, user = "alice") =>
  bot.receive("issue_comment", issueCommentCreated({ repo: REPO, pullRequest, body, user }));
const terraformCommands = () => terraform.runs().map((run) => run.args[0]);
const lastComment = (pullRequest: number) => bot.github.commentsOn(pullRequest).at(-1)?.body ?? "";
const review = (user: string, more: Record<string, unknown> = {}) => ({
  user,
  state: "APPROVED",
  submitted_at: "2026-11-25T12:00:00Z",
  ...more,
});

describe("apply on merge: only a merge into the default branch (or a listed, protected one)", () => {
  const mergedInto = (baseRef: string, status: "modified" | "removed" = "modified") => {
    bot.github.setFile(
      M,
      "clusters/dev.yaml",
      status === "removed" ? null : smallCluster("dev").replace("max: 2", "max: 3"),
    );
    bot.github.setFile(B, "clusters/dev.yaml", smallCluster("dev"));
    bot.github.addPull({
      number: 20,
      headSha: A,
      baseRef,
      baseSha: B,
      state: "closed",
      merged: true,
      mergeCommitSha: M,
      files: [{ filename: "clusters/dev.yaml", status }],
    });
    return bot.receive(
      "pull_request",
      pullRequestEvent({ repo: REPO, pullRequest: 20, action: "closed", merged: true }),
    );
  };

  it("a PR merged into a branch its author made plans and applies nothing, and says why", async () => {
    await mergedInto("mallory-staging");
    expect(terraformCommands()).not.toContain("apply");
    expect(terraformCommands()).not.toContain("plan");
    expect(lastComment(20)).toContain("not into the default branch `main`");
    expect(lastComment(20)).toContain("nothing was planned or applied");
  });

  it("a merge into another branch that changes no definition gets no comment", async () => {
    bot.github.addPull({
      number: 21,
      headSha: A,
      baseRef: "docs",
      state: "closed",
      merged: true,
      mergeCommitSha: M,
      files: [{ filename: "README.md", status: "modified" }],
    });
    await bot.receive(
      "pull_request",
      pullRequestEvent({ repo: REPO, pullRequest: 21, action: "closed", merged: true }),
    );
    expect(bot.github.commentsOn(21)).toEqual([]);
    expect(terraform.runs()).toEqual([]);
  });

  it("a merged deletion into another branch destroys nothing", async () => {
    await mergedInto("mallory-staging", "removed");
    expect(terraform.runs()).toEqual([]);
    expect(bot.github.markedComment(20, "<!-- k3s-bot:apply:dev -->")).toBeUndefined();
  });

  it("a branch listed in autoApplyBranches applies only while a ruleset requires an approval", async () => {
    bot.github.setFile("main", ".github/k3s-bot.yml", "autoApplyBranches: [release]\n");
    await mergedInto("release");
    expect(terraformCommands()).not.toContain("apply");
    expect(lastComment(20)).toContain("no ruleset on `release` requires an approving review");

    bot.github.branchRules.set("release", [
      { type: "pull_request", parameters: { required_approving_review_count: 1 } },
    ]);
    await mergedInto("release");
    expect(terraformCommands()).toContain("apply");
  });

  it("a merge into the default branch still applies", async () => {
    await mergedInto("main");
    expect(terraformCommands()).toContain("apply");
  });
});

describe("who may plan: `/k3s plan` runs Terraform with the bot's identity and takes a lock", () => {
  beforeEach(() => {
    bot.github.addPull({
      number: 10,
      headSha: A,
      files: [{ filename: "clusters/dev.yaml", status: "modified" }],
    });
  });

  it("a read-only commenter plans nothing and takes no lock", async () => {
    await comment(10, "/k3s plan", "carol");
    expect(terraform.runs()).toEqual([]);
    expect(await lockOf(emulator.url, "dev")).toBeNull();
    expect(lastComment(10)).toContain("@carol needs write access to this repository to plan");
  });

  it("a stranger (no permission at all) plans nothing", async () => {
    bot.github.failures.push({
      method: "GET",
      path: /\/collaborators\/stranger\/permission$/,
      status: 404,
      times: 1,
    });
    await comment(10, "/k3s plan dev", "stranger");
    expect(terraform.runs()).toEqual([]);
    expect(await lockOf(emulator.url, "dev")).toBeNull();
  });

  it("the repository may lower the bar (`plan.permission: read`)", async () => {
    bot.github.setFile("main", ".github/k3s-bot.yml", "plan: { permission: read }\n");
    await comment(10, "/k3s plan", "carol");
    expect(terraformCommands()).toContain("plan");
    expect(await lockOf(emulator.url, "dev")).toMatchObject({ pullRequest: 10, user: "carol" });
  });
});

describe("which approval counts for `/k3s apply`", () => {
  const planThenApply = async (reviews: ReturnType<typeof review>[], more = {}) => {
    bot.github.addPull({
      number: 10,
      headSha: A,
      files: [{ filename: "clusters/dev.yaml", status: "modified" }],
      reviews,
      ...more,
    });
    await comment(10, "/k3s plan");
    expect(bot.github.markedComment(10, PLAN)?.body).toContain("commit `aaaaaaa`");
    terraform.clear();
    await comment(10, "/k3s apply");
  };

  it("a writer's approval of the planned head applies (the control)", async () => {
    await planThenApply([review("bob")]);
    expect(terraformCommands()).toContain("apply");
  });

  it("an approval by someone without write access does not count", async () => {
    await planThenApply([review("carol")]);
    expect(terraformCommands()).not.toContain("apply");
    expect(lastComment(10)).toContain("@carol has no write access (read)");
  });

  it("an approval by a bot (github-actions[bot]) does not count", async () => {
    bot.github.permissions.set("github-actions[bot]", "write");
    await planThenApply([review("github-actions[bot]", { type: "Bot" })]);
    expect(terraformCommands()).not.toContain("apply");
    expect(lastComment(10)).toContain("@github-actions[bot] is a bot");
  });

  it("an approval given before the latest push does not count", async () => {
    await planThenApply([review("bob", { commit_id: B })]);
    expect(terraformCommands()).not.toContain("apply");
    expect(lastComment(10)).toContain("@bob approved `bbbbbbb`, not the head `aaaaaaa`");
  });

  it("the last pusher of someone else's PR cannot approve their own push", async () => {
    bot.github.commitPeople.set(A, { author: "bob", committer: "bob" });
    await planThenApply([review("bob")]);
    expect(terraformCommands()).not.toContain("apply");
    expect(lastComment(10)).toContain("@bob made the head commit");
  });

  it("`blocked` by required reviews (CODEOWNERS) refuses even with a counted approval", async () => {
    await planThenApply([review("bob")], {
      mergeableState: "blocked",
      reviewDecision: "REVIEW_REQUIRED",
    });
    expect(terraformCommands()).not.toContain("apply");
    expect(lastComment(10)).toContain("requires reviews this PR does not have yet");
  });

  it("`blocked` only by the bot's own required check still applies", async () => {
    await planThenApply([review("bob")], {
      mergeableState: "blocked",
      reviewDecision: "APPROVED",
    });
    expect(terraformCommands()).toContain("apply");
  });

  it("the reviewed plan stays findable after a push: a new plan comment per head", async () => {
    bot.github.addPull({
      number: 10,
      headSha: A,
      files: [{ filename: "clusters/dev.yaml", status: "modified" }],
    });
    await comment(10, "/k3s plan");
    const first = bot.github.markedComment(10, PLAN);
    const reviewed = first?.body;
    bot.github.setFile(B, "clusters/dev.yaml", smallCluster("dev").replace("max: 2", "max: 4"));
    const pull = bot.github.pulls.get(10);
    if (pull) pull.headSha = B;
    await bot.receive(
      "pull_request",
      pullRequestEvent({ repo: REPO, pullRequest: 10, action: "synchronize", headSha: B }),
    );
    const plans = bot.github.commentsOn(10).filter((c) => c.body.includes(PLAN));
    expect(plans).toHaveLength(2);
    expect(plans[0]?.id).toBe(first?.id);
    expect(plans[0]?.body).toBe(reviewed);
    expect(plans[1]?.body).toContain("commit `bbbbbbb`");
  });
});
