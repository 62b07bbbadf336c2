/**
 * Guardrails through the real app (fake GitHub, the emulator's S3 and DynamoDB, recording fake
 * terraform), played by an author with write access who wants a bigger cluster than allowed:
 * - the rules come from the default branch and the operator, so a PR that also edits
 *   `.github/k3s-bot.yml` is still judged by the old rules;
 * - a repository cannot loosen the operator's rules;
 * - a refusal is in the plan comment and the check run, and stops `/k3s apply` before Terraform;
 * - an override is granted only where every side allows it, to the permission they name, and
 *   leaves a comment saying who overrode what at which commit.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseBindings, type RepositoryBindings } from "../../app/engine/repository-bindings";
import { type BotHarness, REPO, sha, smallCluster, startBot } from "../support/bot-harness";
import { useEmulatorWithFakeTerraform } from "../support/emulator-with-fake-terraform";
import { issueCommentCreated, pullRequestEvent } from "../support/payloads";

const { emulator, terraform } = useEmulatorWithFakeTerraform();
let bot: BotHarness | undefined;

afterEach(() => {
  bot?.close();
  bot = undefined;
});

const BIG = smallCluster("prod").replace("max: 2", "max: 8");

function start(repoConfig: string | null, bindings?: RepositoryBindings): BotHarness {
  bot = startBot(emulator.url, bindings ? { bindings } : {});
  bot.github.permissions.set("alice", "admin");
  bot.github.permissions.set("bob", "write");
  bot.github.permissions.set("carol", "write");
  if (repoConfig !== null) bot.github.setFile("main", ".github/k3s-bot.yml", repoConfig);
  return bot;
}

/** Opens PR 1 by carol with `definition` (and `prConfig` as the PR's own k3s-bot.yml). */
async function open(b: BotHarness, definition: string, prConfig?: string) {
  const head = sha("c");
  b.github.setFile(head, "clusters/prod.yaml", definition);
  const files = [{ filename: "clusters/prod.yaml", status: "added" }];
  if (prConfig) {
    b.github.setFile(head, ".github/k3s-bot.yml", prConfig);
    files.push({ filename: ".github/k3s-bot.yml", status: "modified" });
  }
  b.github.addPull({
    number: 1,
    author: "carol",
    headSha: head,
    files,
    reviews: [{ user: "bob", state: "APPROVED", submitted_at: "2026-11-25T12:00:00Z" }],
  });
  await b.receive(
    "pull_request",
    pullRequestEvent({ repo: REPO, pullRequest: 1, action: "opened" }),
  );
  return b.github.markedComment(1, "k3s-bot:plan:prod")?.body ?? "";
}

async function apply(b: BotHarness, user: string, body = "/k3s apply prod") {
  await b.receive("issue_comment", issueCommentCreated({ repo: REPO, pullRequest: 1, body, user }));
  return b.github.markedComment(1, "k3s-bot:apply:prod")?.body ?? "";
}

const applied = () => terraform.runs().filter((run) => run.args[0] === "apply");

describe("the repository's guardrails, from its default branch", () => {
  it("refuse a PR that also loosens them in its own k3s-bot.yml", async () => {
    const b = start("guardrails:\n  maxWorkers: 2\n");
    const plan = await open(b, BIG, "guardrails:\n  maxWorkers: 100\n");
    expect(plan).toContain("Guardrails · 1 of 1 refused");
    expect(plan).toContain(
      "clusters/prod.yaml:8:20 workers.max: 8 workers is more than the 2 allowed",
    );
    expect(plan).toContain("set by .github/k3s-bot.yml (default branch)");
    expect(plan).toContain("It cannot be overridden");
    const check = b.github.checkRuns.find((c) => c.name.includes("plan") && c.conclusion);
    expect(check?.conclusion).toBe("failure");
    expect(check?.output?.title).toBe("Guardrails refuse apply: maxWorkers");

    const refused = await apply(b, "alice");
    expect(refused).toContain("k3s apply · refused");
    expect(refused).toContain("workers.max: 8 workers is more than the 2 allowed");
    expect(applied()).toEqual([]);
  });

  it("let a definition within them plan and apply", async () => {
    const b = start("guardrails:\n  maxWorkers: 2\n  regions: [eu-central-1]\n");
    const plan = await open(b, smallCluster("prod"));
    expect(plan).toContain("Guardrails · all 2 kept");
    expect(await apply(b, "alice")).toContain("Applied");
    expect(applied()).toHaveLength(1);
  });
});

describe("the operator's guardrails (K3S_BOT_REPOSITORY_BINDINGS)", () => {
  const operator = parseBindings(
    [
      "guardrails:",
      "  maxWorkers: 4",
      "  overrides: { rules: [maxWorkers], permission: admin }",
      "repositories:",
      "  acme/platform:",
      "    state: [{ bucket: acme-tfstate }]",
      "    guardrails: { requiredTags: [team] }",
      "",
    ].join("\n"),
    "bindings.yaml",
  );
  const TAGGED = `${BIG}\ntags: { team: platform }`;

  it("are not loosened by the repository's config", async () => {
    const b = start(
      "guardrails:\n  maxWorkers: 50\n  overrides: { rules: [maxWorkers, requiredTags], permission: write }\n",
      operator,
    );
    const plan = await open(b, BIG);
    expect(plan).toContain("Guardrails · 2 of 2 refused");
    expect(plan).toContain("8 workers is more than the 4 allowed");
    expect(plan).toContain("missing required tag team");
    // The repository allowed write to override: the operator's admin still stands.
    expect(plan).toContain("Someone with admin access may override it");
    expect(plan).toContain("`/k3s apply --override-guardrail maxWorkers prod`");
    expect(await apply(b, "alice", "/k3s apply --override-guardrail requiredTags prod")).toContain(
      "the guardrail `requiredTags` (set by the bot's operator (K3S_BOT_REPOSITORY_BINDINGS)) may not be overridden",
    );
    expect(applied()).toEqual([]);
  });

  it("are overridden only by the permission named, and the override is recorded", async () => {
    const b = start(null, operator);
    await open(b, TAGGED);
    expect(await apply(b, "bob", "/k3s apply --override-guardrail maxWorkers prod")).toContain(
      "@bob needs admin access to override the guardrail `maxWorkers` (has: write)",
    );
    // Without the override even an admin is refused.
    expect(await apply(b, "alice")).toContain("8 workers is more than the 4 allowed");
    expect(applied()).toEqual([]);

    expect(await apply(b, "alice", "/k3s apply --override-guardrail maxWorkers prod")).toContain(
      "Applied",
    );
    expect(applied()).toHaveLength(1);
    const audit = b.github.commentsOn(1).find((c) => c.body.includes("overrode the guardrail"));
    expect(audit?.body).toContain(
      `@alice overrode the guardrail(s) \`maxWorkers\` for this apply of \`prod\` at ${sha("c")}`,
    );
  });
});
