/**
 * The drift scan against the emulator, with real Terraform: a small cluster applied through the
 * app, then scanned. No drift → no issue; a tag added to its VPC behind Terraform's back → one
 * drift issue naming the resource by part of the cluster (a second scan updates it, no second
 * issue); the tag removed → the issue is closed.
 */
import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DRIFT_LABEL, scanDrift } from "../../app/bot/drift-scan";
import { RepoGitHub } from "../../app/bot/github";
import { type Emulator, emulatorAwsClientConfig, startEmulator } from "../../app/local/emulator";
import { type BotHarness, REPO, sha, smallCluster, startBot } from "../support/bot-harness";
import { BOT_LOGIN } from "../support/fake-github";
import { TestOctokit } from "../support/octokit";
import { issueCommentCreated } from "../support/payloads";

const REGION = "eu-central-1";
let emulator: Emulator;
let bot: BotHarness;
let github: RepoGitHub;
const log = { info: () => {}, error: (m: string) => console.error(m) };

beforeAll(async () => {
  emulator = await startEmulator();
  bot = startBot(emulator.url);
  bot.github.permissions.set("alice", "admin");
  bot.github.permissions.set("bob", "write");
  const definition = smallCluster("dev");
  const head = sha("d");
  bot.github.setFile(head, "clusters/dev.yaml", definition);
  bot.github.setFile("main", "clusters/dev.yaml", definition);
  bot.github.addPull({
    number: 1,
    headSha: head,
    files: [{ filename: "clusters/dev.yaml", status: "added" }],
    reviews: [{ user: "bob", state: "APPROVED", submitted_at: "2026-11-25T12:00:00Z" }],
  });
  for (const body of ["/k3s plan dev", "/k3s apply dev"])
    await bot.receive(
      "issue_comment",
      issueCommentCreated({ repo: REPO, pullRequest: 1, body, user: "alice" }),
    );
  expect(bot.github.markedComment(1, "k3s-bot:apply:dev")?.body).toContain("Applied");
  const [owner = "", repo = ""] = REPO.split("/");
  github = new RepoGitHub(new TestOctokit({ auth: "test-token" }) as never, owner, repo);
}, 15 * 60_000);

afterAll(async () => {
  bot?.close();
  await emulator?.stop();
});

const scan = () => scanDrift(github, bot.runs, log, BOT_LOGIN);
const driftIssues = () => bot.github.issues.filter((i) => i.labels.includes(DRIFT_LABEL));

async function vpc(ec2: EC2Client): Promise<string> {
  const { Vpcs } = await ec2.send(
    new DescribeVpcsCommand({ Filters: [{ Name: "cidr", Values: ["10.40.0.0/16"] }] }),
  );
  const id = Vpcs?.[0]?.VpcId;
  if (!id) throw new Error("the applied cluster's VPC is not in the emulator");
  return id;
}

describe("drift scan", () => {
  it(
    "finds no drift on a cluster as applied, and opens no issue",
    async () => {
      expect(await scan()).toEqual([{ cluster: "dev", outcome: "clean", issue: "none" }]);
      expect(driftIssues()).toEqual([]);
    },
    10 * 60_000,
  );

  it(
    "opens one issue when a resource is changed behind Terraform's back, and closes it once fixed",
    async () => {
      const ec2 = new EC2Client(emulatorAwsClientConfig(emulator.url, REGION));
      const vpcId = await vpc(ec2);
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
    },
    15 * 60_000,
  );
});
