/**
 * A second repository with the App installed cannot plan or apply another repository's cluster.
 * acme/platform manages `prod` (state s3://acme-tfstate/k3s/prod/terraform.tfstate). The
 * attacker owns mallory/sandbox, where the App is installed too and the rules are theirs
 * (they have admin, no reviews needed): its definition names the same state. Played through the
 * real app (fake GitHub for each repository, recording fake terraform, the emulator's S3 and
 * DynamoDB shared by both, as one AWS account is):
 * - without operator bindings, the first repository to plan a state owns it, and the other is
 *   refused before any lock or Terraform run;
 * - with bindings (K3S_BOT_REPOSITORY_BINDINGS), a repository may use only its listed state
 *   buckets and key prefixes, roles and accounts, and an unlisted repository nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  bindingsFromEnvironment,
  type RepositoryBindings,
} from "../../app/engine/repository-bindings";
import { type BotHarness, REPO, sha, smallCluster, startBot } from "../support/bot-harness";
import { useEmulatorWithFakeTerraform } from "../support/emulator-with-fake-terraform";
import { issueCommentCreated, pullRequestEvent } from "../support/payloads";

const ATTACKER = "mallory/sandbox";
const ROLE = "arn:aws:iam::123456789012:role/k3s-bot-prod";
const dir = mkdtempSync(join(tmpdir(), "k3s-bot-bindings-"));

const bots: BotHarness[] = [];

const { emulator, terraform } = useEmulatorWithFakeTerraform();
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const bot of bots.splice(0)) bot.close();
});

/** The bot as one repository's installation sees it; one at a time (GitHub is faked per repo). */
function botFor(repo: string, bindings?: RepositoryBindings): BotHarness {
  for (const bot of bots.splice(0)) bot.close();
  const bot = startBot(emulator.url, { repo, ...(bindings ? { bindings } : {}) });
  bot.github.permissions.set("alice", "admin");
  bot.github.permissions.set("bob", "write");
  bots.push(bot);
  return bot;
}

async function planAndApply(
  bot: BotHarness,
  repo: string,
  number: number,
  definition: string,
): Promise<{ plan: string; apply: string }> {
  const head = sha(String(number % 10));
  bot.github.setFile(head, "clusters/prod.yaml", definition);
  bot.github.addPull({
    number,
    headSha: head,
    files: [{ filename: "clusters/prod.yaml", status: "added" }],
    reviews: [{ user: "bob", state: "APPROVED", submitted_at: "2026-11-25T12:00:00Z" }],
  });
  await bot.receive(
    "pull_request",
    pullRequestEvent({ repo, pullRequest: number, action: "opened" }),
  );
  await bot.receive(
    "issue_comment",
    issueCommentCreated({ repo, pullRequest: number, body: "/k3s apply prod", user: "alice" }),
  );
  return {
    plan: bot.github.markedComment(number, "k3s-bot:plan:prod")?.body ?? "",
    apply: bot.github.markedComment(number, "k3s-bot:apply:prod")?.body ?? "",
  };
}

describe("without bindings: the first repository to plan a state owns it", () => {
  it("refuses a second repository's plan and apply of the same state, running nothing", async () => {
    const owner = await planAndApply(botFor(REPO), REPO, 1, smallCluster("prod"));
    expect(owner.plan).toContain("Plan:");
    expect(owner.apply).toContain("Applied");

    terraform.clear();
    // The attacker's repository: the same state, its own lock table (so no lock stops it).
    const theirs = smallCluster("prod").replace("lockTable: acme-k3s-bot", "lockTable: sandbox");
    const attack = await planAndApply(botFor(ATTACKER), ATTACKER, 2, theirs);
    expect(attack.plan).toContain("refused");
    expect(attack.plan).toContain(
      "the state s3://acme-tfstate/k3s/prod/terraform.tfstate belongs to acme/platform",
    );
    expect(attack.apply).toContain("belongs to acme/platform");
    expect(terraform.runs()).toEqual([]);
  });

  it("the owner keeps planning after the attempt", async () => {
    await planAndApply(botFor(ATTACKER), ATTACKER, 3, smallCluster("prod"));
    terraform.clear();
    const late = await planAndApply(botFor(REPO), REPO, 4, smallCluster("prod"));
    expect(late.plan).toContain(`belongs to ${ATTACKER}`);
    expect(terraform.runs()).toEqual([]);
  });
});

describe("with the operator's bindings (K3S_BOT_REPOSITORY_BINDINGS)", () => {
  const file = join(dir, "bindings.yaml");
  writeFileSync(
    file,
    [
      "repositories:",
      "  acme/platform:",
      "    state:",
      "      - bucket: acme-tfstate",
      "        keyPrefix: k3s/",
      `    roleArns: ["${ROLE}"]`,
      '    accounts: ["123456789012"]',
      "",
    ].join("\n"),
  );
  const bindings = () => bindingsFromEnvironment({ K3S_BOT_REPOSITORY_BINDINGS: file });

  it("refuses a repository the operator did not list, before any state is touched", async () => {
    const attack = await planAndApply(
      botFor(ATTACKER, bindings()),
      ATTACKER,
      5,
      smallCluster("prod").replace("lockTable: acme-k3s-bot", "lockTable: sandbox"),
    );
    expect(attack.plan).toContain(`${ATTACKER} may not manage any cluster`);
    expect(attack.plan).toContain("K3S_BOT_REPOSITORY_BINDINGS");
    expect(attack.apply).toContain(`${ATTACKER} may not manage any cluster`);
    expect(terraform.runs()).toEqual([]);
  });

  it("lets the listed repository plan and apply its own state", async () => {
    const own = await planAndApply(botFor(REPO, bindings()), REPO, 6, smallCluster("prod"));
    expect(own.apply).toContain("Applied");
  });

  it.each([
    [
      "another bucket",
      smallCluster("prod", { bucket: "other-tfstate" }),
      "may not use the state s3://other-tfstate/",
    ],
    [
      "a key outside its prefix",
      smallCluster("prod").replace(
        "lockTable: acme-k3s-bot }",
        "lockTable: acme-k3s-bot, key: prod.tfstate }",
      ),
      "may not use the state s3://acme-tfstate/prod.tfstate",
    ],
    [
      "a role it is not bound to",
      `${smallCluster("prod")}\naws: { roleArn: "arn:aws:iam::999999999999:role/admin" }\n`,
      "may not act as the role arn:aws:iam::999999999999:role/admin",
    ],
  ])("refuses the listed repository %s", async (_what, definition, message) => {
    const result = await planAndApply(botFor(REPO, bindings()), REPO, 7, definition);
    expect(result.plan).toContain(message);
    expect(terraform.runs()).toEqual([]);
  });

  it("names the file and field of a bad bindings file", () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "repositories:\n  acme/platform:\n    state: []\n    roleArns: [admin]\n");
    expect(() => bindingsFromEnvironment({ K3S_BOT_REPOSITORY_BINDINGS: bad })).toThrow(
      /bad\.yaml \(K3S_BOT_REPOSITORY_BINDINGS\): repositories\.acme\/platform\.state: list at least one state bucket.*roleArns\.0: expected an IAM role ARN/,
    );
    expect(() =>
      bindingsFromEnvironment({ K3S_BOT_REPOSITORY_BINDINGS: join(dir, "missing.yaml") }),
    ).toThrow(/K3S_BOT_REPOSITORY_BINDINGS=.*missing\.yaml: cannot read the file/);
  });
});
