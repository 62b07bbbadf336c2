/**
 * `/k3s plan` answers before Terraform does: the 👀 reaction, an in-progress check run and a
 * comment with the change summary (the definition's fields base → head, the monthly cost) are
 * on the PR before `terraform plan` starts, and well under 2 seconds; the comment is then
 * replaced by the plan. Terraform is the fake, planning for 3 s; GitHub the fake; AWS the
 * emulator.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../app/local/emulator";
import { firstFeedback } from "../../bench/feedback-stats";
import { type BotHarness, REPO, sha, startBot } from "../support/bot-harness";
import { type FakeTerraform, useFakeTerraform } from "../support/fake-terraform";
import { issueCommentCreated } from "../support/payloads";

let emulator: Emulator;
let bot: BotHarness;
let terraform: FakeTerraform;

beforeAll(async () => {
  emulator = await startEmulator();
  terraform = useFakeTerraform();
  terraform.set({ FAKE_TF_PLAN_MS: "3000" });
  bot = startBot(emulator.url);
});
afterAll(async () => {
  bot?.close();
  terraform?.restore();
  await emulator?.stop();
});

const base = readFileSync(join(__dirname, "../../examples/clusters/dev.yaml"), "utf8");

describe("the first feedback on /k3s plan", () => {
  it("comes before terraform plan: 👀, check run in progress, change summary", async () => {
    const head = sha("c");
    bot.github.setFile("main", "clusters/dev.yaml", base);
    bot.github.setFile(
      head,
      "clusters/dev.yaml",
      base.replace("instanceType: t3.large", "instanceType: m6i.large"),
    );
    bot.github.addPull({
      number: 8,
      headSha: head,
      files: [{ filename: "clusters/dev.yaml", status: "modified" }],
    });
    bot.github.permissions.set("alice", "write");
    const from = bot.github.calls.length;
    const requestsFrom = bot.github.requests.length;
    const started = Date.now();
    await bot.receive(
      "issue_comment",
      issueCommentCreated({ repo: REPO, pullRequest: 8, body: "/k3s plan", user: "alice" }),
    );
    const plan = terraform.runs().find((run) => run.args[0] === "plan");
    expect(plan).toBeDefined();
    const planStartedMs = (plan?.start ?? 0) - started;
    const seen = firstFeedback(bot.github, from, started, 8);
    for (const ms of [seen.eyesMs, seen.checkRunMs, seen.summaryMs]) {
      expect(ms).toBeLessThan(planStartedMs);
      // The target is 2 s, measured by `npm run bench` (docs/performance.md: p95 1.3 s at a
      // load of 25 on 2 cores). One sample while other test files run beside it can exceed
      // it, so this bounds it loosely; the order above is what must never change.
      expect(ms).toBeLessThan(5_000);
    }

    const requests = bot.github.requests.slice(requestsFrom);
    const checkStart = requests.find((r) => r.method === "POST" && r.path.endsWith("/check-runs"));
    expect(checkStart?.body).toMatchObject({ status: "in_progress", name: "k3s plan · dev" });
    expect(JSON.stringify(checkStart?.body)).toContain("workers.instanceType");
    const first = requests.find(
      (r) => r.method === "POST" && r.path.endsWith("/issues/8/comments"),
    );
    const firstBody = String((first?.body as { body?: string } | null)?.body ?? "");
    expect(firstBody).toContain("### k3s plan · `dev` · planning…");
    expect(firstBody).toContain(
      "- `workers.instanceType` `t3.large` → `m6i.large`: the running workers (1–3 workers) replaced",
    );
    expect(firstBody).toContain("| **difference** | **+$13.87 / +$41.61** |");

    // The same comment then carries the plan.
    const final = bot.github.markedComment(8, "k3s-bot:plan:dev")?.body ?? "";
    expect(final).toContain("Plan: 1 to add, 0 to change, 0 to destroy.");
    expect(final).toContain("#### What this changes (base `main` → this PR)");
    expect(final).not.toContain("planning…");
    expect(
      bot.github.commentsOn(8).filter((c) => c.body.includes("k3s-bot:plan:dev")),
    ).toHaveLength(1);
  });
});
