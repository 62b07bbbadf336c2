/**
 * Concurrency: plans that arrive at the same moment. Locks are conditional writes in the
 * emulator's DynamoDB; terraform is a fake (test/support/fake-terraform-bin.mjs) that takes a
 * few hundred ms per plan and logs when each process starts and ends, so the test can count
 * how many ran at once.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ClusterRuns, type PlanOutcome } from "../../app/engine/cluster-runs";
import { RunQueue } from "../../app/engine/run-queue";
import { ensureStateBackend } from "../../app/engine/state-backend";
import { EmulatorAwsEnvironment } from "../../app/local/emulator-environment";
import { type BotHarness, REPO, sha, smallCluster, startBot } from "../support/bot-harness";
import { lockOf, useEmulatorWithFakeTerraform } from "../support/emulator-with-fake-terraform";
import { peakConcurrency } from "../support/fake-terraform";
import { issueCommentCreated } from "../support/payloads";

let bot: BotHarness;

const { emulator, terraform } = useEmulatorWithFakeTerraform();
beforeAll(async () => {
  terraform.set({ FAKE_TF_PLAN_MS: "400" });
});
beforeEach(async () => {
  bot = startBot(emulator.url);
  bot.github.permissions.set("alice", "write");
});
afterEach(() => bot.close());

const planComment = (pullRequest: number, body = "/k3s plan") =>
  bot.receive(
    "issue_comment",
    issueCommentCreated({ repo: REPO, pullRequest, body, user: "alice" }),
  );

describe("two PRs plan the same cluster at the same moment", () => {
  it("exactly one holds the lock and plans; the other is told who holds it and plans nothing", async () => {
    const heads = { 5: sha("a"), 6: sha("b") };
    for (const [number, head] of Object.entries(heads)) {
      bot.github.setFile(
        head,
        "clusters/dev.yaml",
        smallCluster("dev").replace("max: 2", `max: ${number}`),
      );
      bot.github.addPull({
        number: Number(number),
        headSha: head,
        files: [{ filename: "clusters/dev.yaml", status: "modified" }],
      });
    }
    await Promise.all([planComment(5), planComment(6)]);

    const holder = await lockOf(emulator.url, "dev");
    expect([5, 6]).toContain(holder?.pullRequest);
    const winner = holder?.pullRequest as 5 | 6;
    const loser = winner === 5 ? 6 : 5;
    const marker = "<!-- k3s-bot:plan:dev -->";
    expect(bot.github.markedComment(winner, marker)?.body).toContain("Plan: 1 to add");
    expect(bot.github.markedComment(loser, marker)?.body).toContain(
      `\`dev\` is locked by #${winner} (planned by @alice`,
    );
    const checks = bot.github.checkRuns.filter((c) => c.name === "k3s plan · dev");
    expect(checks.map((c) => [c.head_sha, c.conclusion]).sort()).toEqual(
      [
        [heads[winner], "success"],
        [heads[loser], "failure"],
      ].sort(),
    );
    // Only the winner's definition reached terraform: one plan, in its working directory.
    const plans = terraform.runs().filter((r) => r.args[0] === "plan");
    expect(plans).toHaveLength(1);
  });

  it("holds across replicas: five bot processes planning five PRs at once, one wins", async () => {
    const aws = new EmulatorAwsEnvironment(emulator.url);
    // The state backend exists already, as after any first plan. (Replicas racing to create a
    // brand-new bucket is a separate gap: the loser checks the bucket before the winner has
    // configured it and reports it unsafe.)
    await ensureStateBackend(
      { bucket: "acme-tfstate", lockTable: "acme-k3s-bot", region: "eu-central-1" },
      aws.clients("eu-central-1"),
    );
    const workRoots: string[] = [];
    const replicas = Array.from({ length: 5 }, () => {
      const workRoot = mkdtempSync(join(tmpdir(), "k3s-bot-replica-"));
      workRoots.push(workRoot);
      // Each replica has its own queue: nothing in one process orders them.
      return new ClusterRuns({ aws, queue: new RunQueue(2), workRoot });
    });
    const outcomes: PlanOutcome[] = await Promise.all(
      replicas.map((runs, i) =>
        runs.plan(
          { repo: REPO, pullRequest: 20 + i, user: `user${i}`, headSha: sha(String(i)) },
          { file: "clusters/dev.yaml", text: smallCluster("dev") },
        ),
      ),
    );
    aws.destroy();
    for (const root of workRoots) rmSync(root, { recursive: true, force: true });

    const planned = outcomes.flatMap((o, i) => (o.kind === "planned" ? [20 + i] : []));
    expect(planned).toHaveLength(1);
    const locked = outcomes.filter((o) => o.kind === "locked");
    expect(locked).toHaveLength(4);
    for (const o of locked) expect(o.kind === "locked" && o.heldBy.pullRequest).toBe(planned[0]);
    expect((await lockOf(emulator.url, "dev"))?.pullRequest).toBe(planned[0]);
    expect(terraform.runs().filter((r) => r.args[0] === "plan")).toHaveLength(1);
  });
});

describe("20 PRs plan 20 different clusters at once", () => {
  it("all complete, each holding its own lock, with at most the queue's bound of terraform processes at a time", async () => {
    const names = Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, "0")}`);
    names.forEach((name, i) => {
      const head = sha(String.fromCharCode(97 + (i % 6))).replace(/^./, (i % 10).toString());
      bot.github.setFile(head, `clusters/${name}.yaml`, smallCluster(name));
      bot.github.addPull({
        number: 100 + i,
        headSha: head,
        files: [{ filename: `clusters/${name}.yaml`, status: "added" }],
      });
    });
    const started = Date.now();
    await Promise.all(names.map((_, i) => planComment(100 + i)));
    const elapsed = Date.now() - started;

    for (const [i, name] of names.entries()) {
      expect(bot.github.latestCheck(`k3s plan · ${name}`)?.conclusion, name).toBe("success");
      expect(bot.github.markedComment(100 + i, `<!-- k3s-bot:plan:${name} -->`)?.body).toContain(
        "Plan: 1 to add",
      );
      expect((await lockOf(emulator.url, name))?.pullRequest, name).toBe(100 + i);
    }
    const events = terraform.events();
    const plans = events.filter((e) => e.event === "start" && e.args[0] === "plan");
    expect(plans).toHaveLength(20);
    // `terraform version` runs once per process beside the first init; everything else is queued.
    const queued = events.filter((e) => e.args[0] !== "version");
    const peak = peakConcurrency(queued);
    const bound = bot.queue.maxConcurrent;
    console.log(
      `20 plans in ${elapsed} ms; terraform processes at once: ${peak} (bound ${bound}), with version: ${peakConcurrency(events)}`,
    );
    expect(peak).toBeLessThanOrEqual(bound);
    // And they did run side by side: the bound is used, not one at a time.
    expect(peak).toBe(bound);
    expect(bot.queue.peakConcurrent).toBe(bound);
    expect(peakConcurrency(events)).toBeLessThanOrEqual(bound + 1);
  });
});
