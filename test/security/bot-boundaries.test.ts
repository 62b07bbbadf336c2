/**
 * The bot's own boundaries, attacked through the real app (Probot, real webhook payloads,
 * FakeGitHub, locks in the emulator, Terraform the recording fake): a definition file that names
 * another cluster, a lock kept by a definition that no longer loads, a PR that adds thirty
 * definitions, another App posting a comment with the bot's marker, a PR beyond GitHub's file
 * listing. Each failed before the fix it covers.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type BotHarness, REPO, sha, smallCluster, startBot } from "../support/bot-harness";
import { lockOf, useEmulatorWithFakeTerraform } from "../support/emulator-with-fake-terraform";
import { issueCommentCreated, pullRequestEvent } from "../support/payloads";

let bot: BotHarness;
const [A, B] = [sha("a"), sha("b")];

const { emulator, terraform } = useEmulatorWithFakeTerraform();
beforeEach(async () => {
  bot = startBot(emulator.url);
  bot.github.permissions.set("alice", "write");
});
afterEach(() => bot.close());

const comment = (pullRequest: number, body: string, user = "alice") =>
  bot.receive("issue_comment", issueCommentCreated({ repo: REPO, pullRequest, body, user }));
const lastComment = (pullRequest: number) => bot.github.commentsOn(pullRequest).at(-1)?.body ?? "";

describe("definitionsPath is the one definitions folder", () => {
  it("infra/clusters/evil.yaml saying `name: prod` is refused, never planned as prod", async () => {
    const gh = bot.github;
    gh.setFile("main", ".github/k3s-bot.yml", "definitionsPath: infra/clusters\n");
    gh.setFile("main", "infra/clusters/prod.yaml", smallCluster("prod"));
    gh.setFile(A, "infra/clusters/evil.yaml", smallCluster("prod"));
    gh.addPull({
      number: 10,
      headSha: A,
      files: [{ filename: "infra/clusters/evil.yaml", status: "added" }],
    });
    await comment(10, "/k3s plan");
    expect(terraform.runs()).toEqual([]);
    expect(await lockOf(emulator.url, "prod")).toBeNull();
    const body = bot.github.markedComment(10, "<!-- k3s-bot:plan:evil -->")?.body ?? "";
    expect(body).toContain("invalid definition");
    expect(body).toContain("must match the file name infra/clusters/evil.yaml (evil)");
  });
});

describe("`/k3s unlock` releases by this PR's lock records", () => {
  it("releases a lock whose definition no longer loads at the head", async () => {
    const gh = bot.github;
    gh.setFile("main", "clusters/dev.yaml", smallCluster("dev"));
    gh.setFile(A, "clusters/dev.yaml", smallCluster("dev").replace("max: 2", "max: 3"));
    gh.addPull({
      number: 10,
      headSha: A,
      files: [{ filename: "clusters/dev.yaml", status: "modified" }],
    });
    await comment(10, "/k3s plan");
    expect(await lockOf(emulator.url, "dev")).toMatchObject({ pullRequest: 10 });

    gh.setFile(B, "clusters/dev.yaml", "name: dev\nregion: [broken\n");
    const pull = gh.pulls.get(10);
    if (pull) pull.headSha = B;
    await comment(10, "/k3s unlock");
    expect(lastComment(10)).toContain("`dev`: unlocked");
    expect(await lockOf(emulator.url, "dev")).toBeNull();
  });

  it("a named cluster this PR does not hold is left alone and named", async () => {
    const gh = bot.github;
    gh.setFile("main", "clusters/dev.yaml", smallCluster("dev"));
    gh.setFile(A, "clusters/dev.yaml", smallCluster("dev"));
    gh.addPull({ number: 10, headSha: A, files: [] });
    gh.addPull({ number: 11, headSha: A, files: [] });
    await comment(11, "/k3s plan dev");
    await comment(10, "/k3s unlock dev");
    expect(lastComment(10)).toContain("`dev`: held by acme/platform#11, not by this PR");
    expect(await lockOf(emulator.url, "dev")).toMatchObject({ pullRequest: 11 });
  });
});

describe("autoplan is capped", () => {
  it("a PR adding 7 definitions plans none on its own, says so, and plans the ones named", async () => {
    const names = ["c1", "c2", "c3", "c4", "c5", "c6", "c7"];
    for (const name of names) bot.github.setFile(A, `clusters/${name}.yaml`, smallCluster(name));
    bot.github.addPull({
      number: 10,
      headSha: A,
      files: names.map((name) => ({ filename: `clusters/${name}.yaml`, status: "added" })),
    });
    await bot.receive(
      "pull_request",
      pullRequestEvent({ repo: REPO, pullRequest: 10, action: "opened" }),
    );
    expect(terraform.runs()).toEqual([]);
    expect(lastComment(10)).toContain("changes 7 cluster definitions");
    expect(lastComment(10)).toContain("plans at most 5");
    expect(bot.github.checkRuns).toEqual([]);

    await comment(10, "/k3s plan c1 c2");
    const planned = bot.github.checkRuns.map((run) => run.name).sort();
    expect(planned).toEqual(["k3s plan · c1", "k3s plan · c2"]);
  });
});

describe("the bot edits only its own comments", () => {
  it("another App's comment carrying the plan marker is not adopted", async () => {
    const gh = bot.github;
    gh.setFile(A, "clusters/dev.yaml", smallCluster("dev"));
    gh.addPull({
      number: 10,
      headSha: A,
      files: [{ filename: "clusters/dev.yaml", status: "added" }],
    });
    // The markers are public (any plan comment shows them in its source).
    const forged = `Plan: 0 to add, 0 to change, 0 to destroy.\n<!-- k3s-bot:plan:dev --><!-- k3s-bot:head:${A} -->\n`;
    gh.comments.push({
      id: 1,
      issue: 10,
      body: forged,
      user: { login: "mallory-app[bot]", type: "Bot" },
    });
    await comment(10, "/k3s plan");
    expect(gh.comments.find((c) => c.id === 1)?.body).toBe(forged);
    expect(gh.markedComment(10, "<!-- k3s-bot:plan:dev -->")?.body).toContain("commit `aaaaaaa`");
  });
});

describe("a PR beyond GitHub's file listing", () => {
  it("is refused clearly: definitions past the 3,000th file would be missed", async () => {
    bot.github.setFile(A, "clusters/dev.yaml", smallCluster("dev"));
    bot.github.addPull({
      number: 10,
      headSha: A,
      files: [{ filename: "clusters/dev.yaml", status: "added" }],
      changedFiles: 3500,
    });
    await comment(10, "/k3s plan");
    expect(terraform.runs()).toEqual([]);
    expect(lastComment(10)).toContain("GitHub lists at most 3000 of a PR's files");
    expect(lastComment(10)).not.toContain("bug in k3s-bot");
  });
});
