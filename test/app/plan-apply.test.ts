/**
 * A pull request's whole life with the real bot, real Terraform and the real AWS provider,
 * against the emulator: autoplan, re-plan in place, a lock conflict, a stale plan, apply,
 * a repeated apply, a Terraform failure, merge with auto-apply, the scheduled drift scan of the
 * merged cluster (none; then a tag added to its VPC behind Terraform's back opens one issue, a
 * second scan updates it, removing the tag closes it), a destroy plan, close.
 * The steps build on each other, in order, like a PR does; the drift scan uses the cluster the
 * merge applied rather than applying one of its own (each apply here waits about a minute on
 * the AWS provider's load-balancer waiter).
 */

import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DRIFT_LABEL, scanDrift } from "../../app/bot/drift-scan";
import { RepoGitHub } from "../../app/bot/github";
import type { AwsEnvironment } from "../../app/engine/aws-environment";
import { ClusterLocks } from "../../app/engine/locks";
import {
  EMULATOR_ACCOUNT_ID,
  type Emulator,
  emulatorAwsClientConfig,
  startEmulator,
} from "../../app/local/emulator";
import type { K3sClusterStack } from "../../infra/stack";
import { type BotHarness, REPO, sha, smallCluster, startBot } from "../support/bot-harness";
import { BOT_LOGIN } from "../support/fake-github";
import { TestOctokit } from "../support/octokit";
import { issueCommentCreated, pullRequestEvent } from "../support/payloads";
import { overriding } from "../support/proxies";
import { requireTerraform } from "../support/tools";

let emulator: Emulator;
let bot: BotHarness;
const PLAN = "<!-- k3s-bot:plan:dev -->";
const APPLY = "<!-- k3s-bot:apply:dev -->";
const devRef = {
  cluster: "dev",
  stateBucket: "acme-tfstate",
  stateKey: "k3s/dev/terraform.tfstate",
};
const [A, B, M, D] = [sha("a"), sha("b"), sha("c"), sha("d")];

/** Breaks one cluster's Terraform on purpose: an invalid CIDR that only `terraform plan` catches. */
function breakingClusterNamedBroken(aws: AwsEnvironment): AwsEnvironment {
  return overriding(aws, {
    customize: (stack: K3sClusterStack) => {
      aws.customize?.(stack);
      if (stack.config.name === "broken")
        stack.networking.vpc.addOverride("cidr_block", "10.300.0.0/16");
    },
  });
}

const comment = (pullRequest: number, body: string, user = "alice") =>
  bot.receive("issue_comment", issueCommentCreated({ repo: REPO, pullRequest, body, user }));
const locks = () =>
  new ClusterLocks(new DynamoDBClient(emulatorAwsClientConfig(emulator.url)), "acme-k3s-bot");

beforeAll(async () => {
  requireTerraform();
  emulator = await startEmulator();
  bot = startBot(emulator.url, { wrapAws: breakingClusterNamedBroken });
  const gh = bot.github;
  gh.setFile("main", "clusters/dev.yaml", smallCluster("dev"));
  gh.setFile(A, "clusters/dev.yaml", smallCluster("dev").replace("max: 2", "max: 3"));
  gh.addPull({
    number: 10,
    headSha: A,
    files: [{ filename: "clusters/dev.yaml", status: "modified" }],
    reviews: [{ user: "bob", state: "APPROVED", submitted_at: "2026-11-25T12:00:00Z" }],
  });
  gh.permissions.set("alice", "write");
  gh.permissions.set("bob", "write");
});

afterAll(async () => {
  bot?.close();
  await emulator?.stop();
});

describe("a pull request's life", () => {
  it("autoplans on open: one comment with the summary first and the plan folded, a green check, the lock", async () => {
    await bot.receive(
      "pull_request",
      pullRequestEvent({ repo: REPO, pullRequest: 10, action: "opened" }),
    );
    const body = bot.github.markedComment(10, PLAN)?.body ?? "";
    expect(body).toMatch(/^### k3s plan · `dev`/);
    expect(body).toContain(`account \`${EMULATOR_ACCOUNT_ID}\``);
    expect(body).toContain("commit `aaaaaaa`");
    expect(body).toMatch(/\*\*Plan: \d+ to add, 0 to change, 0 to destroy\.\*\*/);
    expect(body.indexOf("Plan:")).toBeLessThan(body.indexOf("<details>"));
    expect(body).toContain("`/k3s apply dev`");
    expect(body).not.toContain("[!CAUTION]");
    expect(bot.github.latestCheck("k3s plan · dev")).toMatchObject({
      status: "completed",
      conclusion: "success",
      head_sha: A,
    });
    expect(await locks().get(devRef)).toMatchObject({ repo: REPO, pullRequest: 10 });
  }, 600_000);

  it("re-plans into the same comment", async () => {
    const before = bot.github.markedComment(10, PLAN)?.id;
    await comment(10, "/k3s plan");
    expect(bot.github.commentsOn(10).filter((c) => c.body.includes(PLAN))).toHaveLength(1);
    expect(bot.github.markedComment(10, PLAN)?.id).toBe(before);
    expect(bot.github.checkRuns.filter((c) => c.name === "k3s plan · dev")).toHaveLength(2);
  }, 600_000);

  it("tells another PR planning the same cluster who holds it", async () => {
    bot.github.setFile(B, "clusters/dev.yaml", smallCluster("dev"));
    bot.github.addPull({
      number: 11,
      headSha: B,
      files: [{ filename: "clusters/dev.yaml", status: "modified" }],
    });
    await comment(11, "/k3s plan", "bob");
    expect(bot.github.markedComment(11, PLAN)?.body).toContain("`dev` is locked by #10");
    expect(bot.github.latestCheck("k3s plan · dev")?.conclusion).toBe("failure");
  }, 600_000);

  it("refuses to apply a plan made for an older commit", async () => {
    const pr = bot.github.pulls.get(10);
    if (!pr) throw new Error("no PR 10");
    pr.headSha = D;
    bot.github.setFile(D, "clusters/dev.yaml", smallCluster("dev").replace("max: 2", "max: 3"));
    // An approval counts only for the commit it was given on: bob approves the new head too.
    pr.reviews.push({
      user: "bob",
      state: "APPROVED",
      submitted_at: "2026-11-25T13:00:00Z",
      commit_id: D,
    });
    await comment(10, "/k3s apply");
    const body = bot.github.markedComment(10, APPLY)?.body ?? "";
    expect(body).toContain("no plan for `ddddddd`");
    expect(body).toContain("Plans exist for earlier commits (`aaaaaaa`)");
    expect(bot.github.reactions.at(-1)?.content).toBe("confused");
  }, 600_000);

  it("applies exactly the reviewed plan, reports outputs, and creates the infrastructure", async () => {
    await comment(10, "/k3s plan");
    await comment(10, "/k3s apply");
    const body = bot.github.markedComment(10, APPLY)?.body ?? "";
    expect(body).toContain("### k3s apply · `dev` · applied");
    expect(body).toMatch(/\| `api_endpoint` \|/);
    expect(bot.github.latestCheck("k3s apply · dev")).toMatchObject({
      conclusion: "success",
      head_sha: D,
    });
    expect(bot.github.reactions.at(-1)?.content).toBe("rocket");
    const ec2 = new EC2Client(emulatorAwsClientConfig(emulator.url));
    const vpcs = await ec2.send(
      new DescribeVpcsCommand({ Filters: [{ Name: "tag:k3s-bot/cluster", Values: ["dev"] }] }),
    );
    ec2.destroy();
    expect(vpcs.Vpcs?.map((v) => v.CidrBlock)).toEqual(["10.40.0.0/16"]);
  }, 900_000);

  it("does not apply the same plan twice", async () => {
    await comment(10, "/k3s apply");
    expect(bot.github.markedComment(10, APPLY)?.body).toContain("already applied");
  }, 600_000);

  it("reports a Terraform failure with Terraform's own error, and changes nothing", async () => {
    bot.github.setFile(D, "clusters/broken.yaml", smallCluster("broken"));
    await comment(10, "/k3s plan broken");
    const body = bot.github.markedComment(10, "<!-- k3s-bot:plan:broken -->")?.body ?? "";
    expect(body).toContain("### k3s plan · `broken` · failed");
    expect(body).toMatch(/10\.300\.0\.0\/16/);
    expect(body).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect(bot.github.latestCheck("k3s plan · broken")?.conclusion).toBe("failure");
  }, 600_000);

  it("applies on merge from the merge commit, reports on the PR, and releases the locks", async () => {
    const pr = bot.github.pulls.get(10);
    if (!pr) throw new Error("no PR 10");
    Object.assign(pr, { state: "closed", merged: true, mergeCommitSha: M });
    bot.github.setFile(M, "clusters/dev.yaml", smallCluster("dev").replace("max: 2", "max: 4"));
    bot.github.setFile(
      "main",
      "clusters/dev.yaml",
      smallCluster("dev").replace("max: 2", "max: 4"),
    );
    await bot.receive(
      "pull_request",
      pullRequestEvent({ repo: REPO, pullRequest: 10, action: "closed", merged: true }),
    );
    const body = bot.github.markedComment(10, APPLY)?.body ?? "";
    expect(body).toContain("### k3s apply · `dev` · applied");
    expect(body).toContain("`ccccccc`");
    expect(await locks().get(devRef)).toBeNull();
    expect(await locks().heldBy(REPO, 10)).toEqual([]);
  }, 900_000);

  describe("the scheduled drift scan of the cluster the merge applied", () => {
    const log = { info: () => {}, error: (m: string) => console.error(m) };
    const scan = () => {
      const [owner = "", repo = ""] = REPO.split("/");
      const github = new RepoGitHub(new TestOctokit({ auth: "test-token" }) as never, owner, repo);
      return scanDrift(github, bot.runs, log, BOT_LOGIN);
    };
    const driftIssues = () => bot.github.issues.filter((i) => i.labels.includes(DRIFT_LABEL));

    it("finds no drift on the cluster as applied, and opens no issue", async () => {
      expect(await scan()).toEqual([{ cluster: "dev", outcome: "clean", issue: "none" }]);
      expect(driftIssues()).toEqual([]);
    }, 600_000);

    it("opens one issue when a resource is changed behind Terraform's back, and closes it once fixed", async () => {
      const ec2 = new EC2Client(emulatorAwsClientConfig(emulator.url));
      const { Vpcs } = await ec2.send(
        new DescribeVpcsCommand({ Filters: [{ Name: "cidr", Values: ["10.40.0.0/16"] }] }),
      );
      const vpcId = Vpcs?.[0]?.VpcId;
      if (!vpcId) throw new Error("the applied cluster's VPC is not in the emulator");
      const tag = { Key: "changed-by", Value: "someone-in-the-console" };
      await ec2.send(new CreateTagsCommand({ Resources: [vpcId], Tags: [tag] }));

      expect(await scan()).toEqual([{ cluster: "dev", outcome: "drifted", issue: "opened" }]);
      expect(await scan()).toEqual([{ cluster: "dev", outcome: "drifted", issue: "updated" }]);
      const [issue, ...more] = driftIssues();
      expect(more).toEqual([]);
      expect(issue?.state).toBe("open");
      expect(issue?.title).toBe("Drift: cluster dev differs from clusters/dev.yaml");
      expect(issue?.body).toContain("<!-- k3s-bot:drift:dev -->");
      expect(issue?.body).toMatch(/\*\*network\*\*: `aws_vpc\.[\w-]+` changed: would be set back/);

      await ec2.send(new DeleteTagsCommand({ Resources: [vpcId], Tags: [{ Key: tag.Key }] }));
      expect(await scan()).toEqual([{ cluster: "dev", outcome: "clean", issue: "closed" }]);
      expect(driftIssues().map((i) => i.state)).toEqual(["closed"]);
      ec2.destroy();
    }, 900_000);
  });

  it("plans a destroy, loudly, when a PR deletes a definition; closing it releases the lock", async () => {
    bot.github.setFile(B, "clusters/dev.yaml", null);
    const pr = bot.github.pulls.get(11);
    if (!pr) throw new Error("no PR 11");
    pr.files = [{ filename: "clusters/dev.yaml", status: "removed" }];
    await bot.receive(
      "pull_request",
      pullRequestEvent({ repo: REPO, pullRequest: 11, action: "synchronize" }),
    );
    const body = bot.github.markedComment(11, PLAN)?.body ?? "";
    expect(body).toContain("[!CAUTION]");
    expect(body).toMatch(/\*\*Plan: 0 to add, 0 to change, \d+ to destroy\.\*\*/);
    expect(body).toContain("applying this plan destroys the cluster");
    expect((await locks().get(devRef))?.pullRequest).toBe(11);

    Object.assign(pr, { state: "closed" });
    await bot.receive(
      "pull_request",
      pullRequestEvent({ repo: REPO, pullRequest: 11, action: "closed", merged: false }),
    );
    expect(await locks().get(devRef)).toBeNull();
    expect(bot.github.commentsOn(11).at(-1)?.body).toContain("released `dev`");
  }, 600_000);
});
