/**
 * A bot restart with a run in flight loses no run without a message.
 *
 * Graceful stop: RunJournal.stop (what app/index.ts calls on SIGTERM/SIGINT) with an apply that
 * hangs in terraform (test/support/fake-terraform-bin.mjs). Crash: a journal record whose replica
 * stopped heartbeating, found by other bot instances. The journal lives in DynamoDB (moto).
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Probot } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createK3sBot } from "../../app/bot/app";
import { RepoGitHub } from "../../app/bot/github";
import {
  type DynamoRunStore,
  type GitHubFor,
  RunJournal,
  type RunRecord,
} from "../../app/bot/run-journal";
import { ClusterLocks } from "../../app/engine/locks";
import {
  approvedPullRequest,
  type BotHarness,
  commentTo,
  journalTable,
  REPO,
  sha,
  startBot,
  until,
} from "../support/bot-harness";
import { useEmulatorWithFakeTerraform } from "../support/emulator-with-fake-terraform";
import { TestOctokit } from "../support/octokit";

const RESTARTED = "interrupted by a restart of k3s-bot; the lock stays with this PR";
const head = sha("a");

let bot: BotHarness;
let dynamodb: DynamoDBClient;
let store: DynamoRunStore;
const journals: RunJournal[] = [];

/** A bot instance (a replica) with its own journal, over the shared fake GitHub and AWS. */
async function replica(heartbeatMs: number): Promise<{ probot: Probot; journal: RunJournal }> {
  const journal = new RunJournal({ store, heartbeatMs });
  journals.push(journal);
  const probot = new Probot({
    githubToken: "test-token",
    Octokit: TestOctokit,
    logLevel: "warn",
  });
  await probot.load(createK3sBot({ runs: bot.runs, journal }));
  return { probot, journal };
}

const githubFor =
  (probot: Probot): GitHubFor =>
  async (installationId, repo) => {
    const [owner = "", name = ""] = repo.split("/");
    return new RepoGitHub((await probot.auth(installationId)) as never, owner, name);
  };

const comment = commentTo;
const restartComments = () => bot.github.commentsOn(5).filter((c) => c.body.includes(RESTARTED));
const lockHolder = async () =>
  (
    await new ClusterLocks(dynamodb, "acme-k3s-bot").get({
      cluster: "dev",
      stateBucket: "acme-tfstate",
      stateKey: "k3s/dev/terraform.tfstate",
    })
  )?.pullRequest;
const hangingApply = async () => {
  await until("a hanging apply", () => terraform.events().some((e) => e.event === "hanging"));
  return terraform.events().find((e) => e.event === "hanging")?.pid as number;
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const { emulator, terraform } = useEmulatorWithFakeTerraform();
beforeEach(async () => {
  terraform.set({ FAKE_TF_APPLY: undefined, FAKE_TF_PLAN_MS: undefined });
  bot = startBot(emulator.url);
  ({ dynamodb, store } = await journalTable(emulator.url));
  approvedPullRequest(bot.github, { number: 5, head });
});
afterEach(async () => {
  for (const journal of journals.splice(0))
    await journal.stop(0, { terminate: () => bot.runs.terminateTerraform() });
  for (const event of terraform.events())
    if (event.event === "hanging" && alive(event.pid)) process.kill(event.pid, "SIGKILL");
  dynamodb.destroy();
  bot.close();
});

describe("a normal run", () => {
  it("is journaled while it runs and leaves no record when it ends", async () => {
    const { probot } = await replica(60_000);
    terraform.set({ FAKE_TF_PLAN_MS: "1500" });
    const planning = comment(probot, "/k3s plan");
    await until("a journaled plan", async () => (await store.list()).length === 1);
    expect((await store.list())[0]).toMatchObject({ kind: "plan", cluster: "dev" });
    await planning;
    terraform.set({ FAKE_TF_PLAN_MS: undefined });
    await comment(probot, "/k3s apply");
    expect(bot.github.latestCheck("k3s apply · dev")?.conclusion).toBe("success");
    expect(await store.list()).toEqual([]);
    expect(restartComments()).toEqual([]);
  });
});

describe("graceful stop (SIGTERM/SIGINT)", () => {
  it("takes no new work, stops terraform, says the apply was interrupted, fails its check and keeps the lock", async () => {
    const { probot, journal } = await replica(60_000);
    await comment(probot, "/k3s plan");
    expect(bot.github.latestCheck("k3s plan · dev")?.conclusion).toBe("success");

    terraform.set({ FAKE_TF_APPLY: "hang" });
    const applying = comment(probot, "/k3s apply");
    const pid = await hangingApply();
    const check = bot.github.latestCheck("k3s apply · dev");
    const [record] = await store.list();
    expect(record).toMatchObject({
      installationId: 1,
      repo: REPO,
      pullRequest: 5,
      cluster: "dev",
      kind: "apply",
      checkRunId: check?.id,
      replica: journal.replica,
    } satisfies Partial<RunRecord>);

    const stopped = journal.stop(500, { terminate: () => bot.runs.terminateTerraform() });
    // New work while stopping is refused, with a message.
    const plansBefore = terraform.runs().filter((r) => r.args[0] === "plan").length;
    await comment(probot, "/k3s plan");
    expect(bot.github.commentsOn(5).at(-1)?.body).toBe(
      "k3s-bot was restarting and did not run this command; comment it again in a minute.",
    );
    expect(terraform.runs().filter((r) => r.args[0] === "plan")).toHaveLength(plansBefore);

    expect((await stopped).map((r) => r.kind)).toEqual(["apply"]);
    expect(alive(pid)).toBe(false);
    await applying;
    expect(terraform.events().some((e) => e.event === "end" && e.pid === pid)).toBe(false);

    const reports = restartComments();
    expect(reports).toHaveLength(1);
    expect(reports[0]?.body).toContain(
      "The apply of `dev` was interrupted by a restart of k3s-bot; the lock stays with this PR; run `/k3s plan dev` (then `/k3s apply dev`) again.",
    );
    expect(bot.github.latestCheck("k3s apply · dev")).toMatchObject({
      id: check?.id,
      status: "completed",
      conclusion: "failure",
    });
    expect(await lockHolder()).toBe(5);
    expect(await store.list()).toEqual([]);
  });

  it("stops at once when nothing is running", async () => {
    const { journal } = await replica(60_000);
    const started = Date.now();
    expect(await journal.stop(30_000, { terminate: () => bot.runs.terminateTerraform() })).toEqual(
      [],
    );
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe("crash (no chance to report)", () => {
  const abandoned = (checkRunId: number, heartbeatAt: number): RunRecord => ({
    id: "crashed-replica#1",
    installationId: 1,
    repo: REPO,
    pullRequest: 5,
    cluster: "dev",
    kind: "apply",
    checkRunId,
    replica: "crashed-replica",
    heartbeatAt,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  });
  let checkIds = 9_000;
  const inProgressCheck = () => {
    const id = ++checkIds;
    bot.github.checkRuns.push({
      id,
      name: "k3s apply · dev",
      head_sha: head,
      status: "in_progress",
      conclusion: null,
      output: {},
      app: { slug: "k3s-bot" },
    });
    return id;
  };

  it("is reported once by other instances racing to report it, as the run's installation", async () => {
    const checkRunId = inProgressCheck();
    await store.put(abandoned(checkRunId, Date.now() - 10 * 60_000));
    // A run of a live replica elsewhere (fresh heartbeat) is not touched.
    const live = { ...abandoned(checkRunId, Date.now()), id: "live#1", replica: "live" };
    await store.put(live);
    // Two replicas start (each sweeps at start-up) and sweep again, all at once.
    const [b, c] = await Promise.all([replica(1_000), replica(1_000)]);
    const counts = await Promise.all([
      b.journal.sweep(githubFor(b.probot)),
      c.journal.sweep(githubFor(c.probot)),
      b.journal.sweep(githubFor(b.probot)),
      c.journal.sweep(githubFor(c.probot)),
    ]);
    await until("the record reported and gone", async () =>
      (await store.list()).every((r) => r.id === live.id),
    );
    expect(await store.list()).toEqual([live]);
    expect(counts.reduce((a, n) => a + n, 0)).toBeLessThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(restartComments()).toHaveLength(1);
    expect(restartComments()[0]?.body).toContain("The apply of `dev` was interrupted");
    expect(bot.github.checkRuns.find((r) => r.id === checkRunId)).toMatchObject({
      status: "completed",
      conclusion: "failure",
    });
    expect(
      bot.github.calls.filter((call) =>
        new RegExp(`PATCH .*/check-runs/${checkRunId}$`).test(call),
      ),
    ).toHaveLength(1);
  });

  it("leaves a live replica's runs alone: heartbeats keep a long apply from looking crashed", async () => {
    const a = await replica(200);
    const b = await replica(200);
    await comment(a.probot, "/k3s plan");
    terraform.set({ FAKE_TF_APPLY: "hang" });
    const applying = comment(a.probot, "/k3s apply");
    const pid = await hangingApply();
    const first = (await store.list()).find((r) => r.replica === a.journal.replica);
    // Well past 3 heartbeats: only A's heartbeats keep its record fresh.
    await new Promise((r) => setTimeout(r, 1_200));
    expect(await b.journal.sweep(githubFor(b.probot))).toBe(0);
    const later = (await store.list()).find((r) => r.replica === a.journal.replica);
    expect(later?.heartbeatAt).toBeGreaterThan(first?.heartbeatAt ?? Number.POSITIVE_INFINITY);
    expect(restartComments()).toEqual([]);
    process.kill(pid, "SIGKILL");
    await applying;
    expect(await store.list()).toEqual([]);
    expect(restartComments()).toEqual([]);
  });
});
