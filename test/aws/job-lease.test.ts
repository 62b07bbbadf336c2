/**
 * The scheduled jobs' lease against DynamoDB as the emulator serves it: one replica of two takes
 * it, nobody runs the job again before the interval, a replica that dies mid-run loses it once
 * its claim runs out, and each job has a lease of its own. Then the App's schedule itself
 * (app/bot/scheduled-jobs.ts) with two replicas on one table, GitHub faked by nock and the
 * update sources in memory: one replica opens the update PR, the other finds the run done; a
 * failing run is logged, not thrown, and due again at once.
 */
import nock from "nock";
import type { Probot } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startRepositoryJob, updatesJob } from "../../app/bot/scheduled-jobs";
import { JobLease } from "../../app/engine/job-lease";
import { useEmulatorLockTable } from "../support/emulator-lock-table";
import { FakeGitHub } from "../support/fake-github";
import { TestOctokit } from "../support/octokit";
import { DEV_ON_K3S_1_33_5, K3S_1_33_7_OUT } from "../support/update-sources";

const table = "k3s-bot-deliveries";
// The lease lives in the bot's own table, created as the bot creates it.
const { client } = useEmulatorLockTable(table);
const HOUR = 3_600_000;
let clock = 1_800_000_000_000;
const now = () => clock;
const replica = (holder: string, job = "drift-scan") =>
  new JobLease(client, table, { job, holder, intervalMs: 24 * HOUR, claimMs: 5 * 60_000, now });

describe("job lease", () => {
  it("elects one replica, and none runs the job again before the interval", async () => {
    const [a, b] = [replica("a"), replica("b")];
    // One after the other: DynamoDB makes a single item's conditional write atomic, the
    // emulator's threaded server does not promise to, so a race here would test the emulator.
    const [winner, loser] = [a, b];
    expect(await winner.take()).toBe(true);
    expect(await loser.take()).toBe(false);
    expect(await loser.renew()).toBe(false);
    expect(await winner.finish()).toBe(true);
    clock += HOUR;
    expect(await loser.take()).toBe(false);
    clock += 23 * HOUR;
    expect(await loser.take()).toBe(true);
  });

  it("a replica that dies mid-run loses the lease once its claim runs out", async () => {
    const [a, b] = [replica("a"), replica("b")];
    expect(await a.take()).toBe(true);
    clock += 4 * 60_000;
    expect(await b.take()).toBe(false);
    clock += 2 * 60_000;
    expect(await b.take()).toBe(true);
    // The dead one cannot come back and record a run it did not finish.
    expect(await a.renew()).toBe(false);
    expect(await a.finish()).toBe(false);
  });

  it("each job has its own lease: a drift scan under way does not hold back the updates", async () => {
    expect(await replica("a", "drift-scan").take()).toBe(true);
    expect(await replica("b", "update-pulls").take()).toBe(true);
    expect(await replica("c", "drift-scan").take()).toBe(false);
  });

  it("a released claim records no run: the job is due again at once", async () => {
    const a = replica("a", "update-pulls");
    expect(await a.take()).toBe(true);
    expect(await a.release()).toBe(true);
    expect(await replica("b", "update-pulls").take()).toBe(true);
  });
});

describe("the App's scheduled update job, two replicas on one table", () => {
  const REPO = "acme/platform";
  const env = { K3S_BOT_DELIVERY_TABLE: table, AWS_REGION: "eu-central-1" };
  let github: FakeGitHub;
  let stops: Array<() => void>;

  /** A replica of the App as the schedule sees it: Probot's auth and log, nothing else. */
  function app(logs: string[], auth?: () => Promise<unknown>): Probot {
    const octokit = () => new TestOctokit({ auth: { token: "test-token" } });
    const record = (level: string) => (message: string) => logs.push(`${level} ${message}`);
    return {
      auth: auth ?? (async () => octokit()),
      log: { info: record("info"), warn: record("warn"), error: record("error") },
    } as unknown as Probot;
  }

  function start(holder: string, replicaApp: Probot) {
    const job = startRepositoryJob(replicaApp, env, updatesJob(K3S_1_33_7_OUT), {
      dynamodb: client,
      holder,
      tickMs: HOUR,
    });
    if (!job) throw new Error("the job did not start");
    stops.push(job.stop);
    return job;
  }

  /** The installations and their repositories, as GitHub lists them to the App. */
  function installed(repos: string[]) {
    nock("https://api.github.com")
      .persist()
      .get("/app/installations")
      .query(true)
      .reply(200, [{ id: 42, account: { login: "acme" } }])
      .get("/installation/repositories")
      .query(true)
      .reply(200, {
        total_count: repos.length,
        repositories: repos.map((fullName) => {
          const [owner, name] = fullName.split("/");
          return { name, full_name: fullName, owner: { login: owner } };
        }),
      });
  }

  beforeEach(() => {
    stops = [];
    nock.disableNetConnect();
    nock.enableNetConnect((host) => host.startsWith("127.0.0.1"));
    github = new FakeGitHub(REPO);
    github.install();
    github.pushCommit("main", { "clusters/dev.yaml": DEV_ON_K3S_1_33_5 }, "init");
  });
  afterEach(() => {
    for (const stop of stops) stop();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("one replica opens the update PR; the other finds the run done", async () => {
    installed([REPO]);
    const [logsA, logsB] = [[] as string[], [] as string[]];
    const a = start("replica-a", app(logsA));
    expect(await a.first).toBe("ran");
    expect(github.createdPulls.map((p) => [p.head, p.title])).toEqual([
      ["k3s-bot/update/dev/k3s", "dev: update k3s to v1.33.7+k3s1"],
    ]);
    expect(logsA).toContain("info update-pulls: this replica holds the lease");
    expect(logsA).toContain(
      `info update-pulls ${REPO} dev k3s: opened (#${github.createdPulls[0]?.number})`,
    );

    const calls = github.calls.length;
    const b = start("replica-b", app(logsB));
    expect(await b.first).toBe("not-due");
    expect(logsB).toEqual([]);
    // Replica b did not so much as look at GitHub.
    expect(github.calls.slice(calls)).toEqual([]);
    expect(github.createdPulls).toHaveLength(1);
  });

  it("a repository that fails is logged and the others still get their PRs", async () => {
    // other/gone is listed but answers nothing: every call to it fails.
    installed(["other/gone", REPO]);
    const logs: string[] = [];
    expect(await start("replica-a", app(logs)).first).toBe("ran");
    expect(logs.filter((l) => l.startsWith("error"))).toEqual([
      expect.stringMatching(/^error update-pulls of other\/gone failed: /),
    ]);
    expect(github.createdPulls).toHaveLength(1);
  });

  it("a run that fails as a whole is logged, never thrown, and due again at once", async () => {
    const logs: string[] = [];
    const down = app(logs, async () => {
      throw new Error("GitHub answered 503");
    });
    expect(await start("replica-a", down).first).toBe("failed");
    expect(logs).toContain("error update-pulls failed: GitHub answered 503");
    expect(github.createdPulls).toEqual([]);
    // The failed run was not recorded: the next replica's tick runs it.
    installed([REPO]);
    expect(await start("replica-b", app([])).first).toBe("ran");
    expect(github.createdPulls).toHaveLength(1);
  });
});
