/**
 * Where a cluster's state lives and which role manages it come from the default branch, not
 * from the PR. The repository plans fork PRs (`forkPullRequests: plan`); `prod` is defined on
 * main. Played through the real app (fake GitHub, recording fake terraform, the emulator):
 * - a PR that changes `state.lockTable` (or the bucket) cannot escape the lock another PR holds
 *   on prod's state;
 * - a fork PR that sets `aws.roleArn` on prod does not get the bot to assume that role;
 * - a fork PR that adds a new cluster pointing at prod's state is refused, and runs nothing;
 * and each PR is told, loudly, which fields it changes and that they are not used yet.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type BotHarness, REPO, sha, smallCluster, startBot } from "../support/bot-harness";
import { useEmulatorWithFakeTerraform } from "../support/emulator-with-fake-terraform";
import { issueCommentCreated, pullRequestEvent } from "../support/payloads";

const PROD = smallCluster("prod");
const OTHER_ROLE = "arn:aws:iam::999999999999:role/k3s-bot-prod-admin";

let bot: BotHarness;

const { emulator, terraform } = useEmulatorWithFakeTerraform();
beforeEach(async () => {
  bot = startBot(emulator.url);
  bot.github.setFile("main", ".github/k3s-bot.yml", "forkPullRequests: plan\n");
  bot.github.setFile("main", "clusters/prod.yaml", PROD);
  bot.github.permissions.set("alice", "write");
  bot.github.permissions.set("bob", "write");
});
afterEach(() => bot.close());

/** Opens PR `number` with `files` at a fresh head commit; from a fork when `fork` is set. */
async function openPull(
  number: number,
  files: Record<string, string>,
  fork = false,
): Promise<void> {
  const head = sha(String(number % 10));
  for (const [path, content] of Object.entries(files)) bot.github.setFile(head, path, content);
  bot.github.addPull({
    number,
    headSha: head,
    author: fork ? "mallory" : "alice",
    ...(fork ? { headRepo: "mallory/platform" } : {}),
    files: Object.keys(files).map((filename) => ({ filename, status: "modified" })),
    reviews: [{ user: "bob", state: "APPROVED", submitted_at: "2026-11-25T12:00:00Z" }],
  });
  await bot.receive(
    "pull_request",
    pullRequestEvent({ repo: REPO, pullRequest: number, action: "opened" }),
  );
}

const planComment = (number: number, cluster: string) =>
  bot.github.markedComment(number, `k3s-bot:plan:${cluster}`)?.body ?? "";

describe("a PR cannot move a cluster's state or lock away from the default branch's", () => {
  it("a fork PR that changes state.lockTable and state.bucket is still locked out by the PR holding prod", async () => {
    await openPull(1, { "clusters/prod.yaml": PROD.replace("max: 2", "max: 3") });
    expect(bot.github.latestCheck("k3s plan · prod")?.conclusion).toBe("success");

    const escaped = PROD.replace(
      "state: { bucket: acme-tfstate, lockTable: acme-k3s-bot }",
      "state: { bucket: mallory-tfstate, lockTable: mallory-locks }",
    );
    terraform.clear();
    await openPull(2, { "clusters/prod.yaml": escaped }, true);
    const body = planComment(2, "prod");
    expect(body).toContain("This PR changes where `prod`'s state lives");
    expect(body).toContain("`state.lockTable`: `acme-k3s-bot` → `mallory-locks`");
    expect(body).toContain("`state.bucket`: `acme-tfstate` → `mallory-tfstate`");
    expect(body).toContain("is locked by #1");
    expect(bot.github.latestCheck("k3s plan · prod")?.conclusion).toBe("failure");
    expect(terraform.runs()).toEqual([]);
  });

  it("a PR that changes only state.lockTable, with nobody holding prod, plans with the default branch's table", async () => {
    await openPull(3, {
      "clusters/prod.yaml": PROD.replace("lockTable: acme-k3s-bot", "lockTable: elsewhere"),
    });
    expect(bot.github.latestCheck("k3s plan · prod")?.conclusion).toBe("success");
    expect(planComment(3, "prod")).toContain("`state.lockTable`: `acme-k3s-bot` → `elsewhere`");
    // The lock it took is in the default branch's table: a second PR on prod is locked out.
    await openPull(4, { "clusters/prod.yaml": PROD.replace("max: 2", "max: 4") });
    expect(planComment(4, "prod")).toContain("is locked by #3");
  });
});

describe("a PR cannot choose the AWS identity", () => {
  it("a fork PR's aws.roleArn on prod is not assumed; the plan runs as the default branch says", async () => {
    await openPull(
      5,
      { "clusters/prod.yaml": `${PROD}\naws: { roleArn: "${OTHER_ROLE}" }\n` },
      true,
    );
    expect(planComment(5, "prod")).toContain(`\`aws.roleArn\`: (unset) → \`${OTHER_ROLE}\``);
    const plan = terraform.runs().find((r) => r.args[0] === "plan");
    expect(plan).toBeDefined();
    const synthesized = readFileSync(join(plan?.cwd ?? "", "cdk.tf.json"), "utf8");
    expect(synthesized).not.toContain("999999999999");
  });

  it("the repository config's role (default branch) wins over the definition's own", async () => {
    const configRole = "arn:aws:iam::123456789012:role/k3s-bot-prod";
    bot.github.setFile(
      "main",
      ".github/k3s-bot.yml",
      `forkPullRequests: plan\nclusters:\n  prod:\n    roleArn: ${configRole}\n`,
    );
    const withOwnRole = `${PROD}\naws: { roleArn: "${OTHER_ROLE}" }\n`;
    bot.github.setFile("main", "clusters/prod.yaml", withOwnRole);
    await openPull(6, { "clusters/prod.yaml": withOwnRole.replace("max: 2", "max: 3") });
    const plan = terraform.runs().find((r) => r.args[0] === "plan");
    const synthesized = readFileSync(join(plan?.cwd ?? "", "cdk.tf.json"), "utf8");
    expect(synthesized).toContain(configRole);
    expect(synthesized).not.toContain(OTHER_ROLE);
  });

  it("a fork PR's new cluster may not name a role", async () => {
    await openPull(
      7,
      { "clusters/evil.yaml": `${smallCluster("evil")}\naws: { roleArn: "${OTHER_ROLE}" }\n` },
      true,
    );
    expect(planComment(7, "evil")).toContain("A fork cannot choose the AWS identity");
    expect(terraform.runs()).toEqual([]);
  });
});

describe("a new cluster cannot take another cluster's state", () => {
  it("refuses a fork PR's new definition whose state is prod's, and runs nothing", async () => {
    const evil = smallCluster("evil", {
      extra: "",
    }).replace(
      "state: { bucket: acme-tfstate, lockTable: acme-k3s-bot }",
      "state: { bucket: acme-tfstate, key: k3s/prod/terraform.tfstate, lockTable: mallory-locks }",
    );
    await openPull(8, { "clusters/evil.yaml": evil }, true);
    const body = planComment(8, "evil");
    expect(body).toContain("refused");
    expect(body).toContain("the state of `prod` (`clusters/prod.yaml` on `main`)");
    expect(terraform.runs()).toEqual([]);
  });

  it("the same refusal for /k3s apply from a write user", async () => {
    const evil = smallCluster("evil").replace(
      "lockTable: acme-k3s-bot }",
      "lockTable: acme-k3s-bot, key: k3s/prod/terraform.tfstate }",
    );
    await openPull(9, { "clusters/evil.yaml": evil });
    terraform.clear();
    await bot.receive(
      "issue_comment",
      issueCommentCreated({ repo: REPO, pullRequest: 9, body: "/k3s apply evil", user: "alice" }),
    );
    expect(bot.github.markedComment(9, "k3s-bot:apply:evil")?.body ?? "").toContain(
      "the state of `prod`",
    );
    expect(terraform.runs()).toEqual([]);
  });
});
