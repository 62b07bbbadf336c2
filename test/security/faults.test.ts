/**
 * Faults: GitHub's API failing (5xx, rate limits, 404), terraform killed mid-apply, the AWS
 * emulator stopped mid-plan. Each ends in bounded retries and a clear message on the PR (or, when
 * GitHub refuses even that, a log line and a failed delivery), never a silent drop.
 *
 * GitHub calls go through an Octokit configured as in production: Probot's retry plugin (3 retries
 * of 5xx/429) and its throttling handlers (rate limits retried at most 3 times), with the waits
 * scaled down to milliseconds. Terraform is test/support/fake-terraform-bin.mjs.
 */

import { Writable } from "node:stream";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import Bottleneck from "bottleneck";
import pino from "pino";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createK3sBot } from "../../app/bot/app";
import { ClusterLocks } from "../../app/engine/locks";
import { emulatorAwsClientConfig, startEmulator } from "../../app/local/emulator";
import {
  approvedPullRequest,
  type BotHarness,
  REPO,
  sha,
  smallCluster,
  startBot,
} from "../support/bot-harness";
import { useEmulatorWithFakeTerraform } from "../support/emulator-with-fake-terraform";
import { issueCommentCreated, pullRequestEvent } from "../support/payloads";

let bot: BotHarness;
let probot: Probot;
let logs: string[];
const head = sha("a");
const devRef = {
  cluster: "dev",
  stateBucket: "acme-tfstate",
  stateKey: "k3s/dev/terraform.tfstate",
};

/** A Probot as in production (retries and throttling on), logging into `logs`. */
function productionLikeProbot(): Probot {
  logs = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const instance = new Probot({
    githubToken: "test-token",
    log: pino({ level: "info" }, stream) as never,
    Octokit: ProbotOctokit.defaults((options: Record<string, unknown>) => ({
      ...options,
      // Production's waits (seconds) in milliseconds; the number of retries is production's.
      retry: { retryAfterBaseValue: 1 },
      throttle: {
        ...(options.throttle as object),
        retryAfterBaseValue: 1,
        // Octokit spaces writes a second apart; not what these tests are about.
        write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }),
      },
    })),
  });
  instance.load(createK3sBot({ runs: bot.runs }));
  return instance;
}

let delivery = 0;
const receive = (name: "issue_comment" | "pull_request", payload: Record<string, unknown>) =>
  probot.receive({ id: `faults-${++delivery}`, name, payload } as never);
const comment = (body: string, pullRequest = 5) =>
  receive("issue_comment", issueCommentCreated({ repo: REPO, pullRequest, body, user: "alice" }));
const callsTo = (pattern: RegExp) => bot.github.calls.filter((c) => pattern.test(c)).length;
const lastComment = (pullRequest = 5) => bot.github.commentsOn(pullRequest).at(-1)?.body ?? "";
const lockHolder = async () => {
  const dynamodb = new DynamoDBClient(emulatorAwsClientConfig(emulator.url));
  try {
    return (await new ClusterLocks(dynamodb, "acme-k3s-bot").get(devRef))?.pullRequest;
  } finally {
    dynamodb.destroy();
  }
};

const { emulator, terraform } = useEmulatorWithFakeTerraform();
beforeEach(async () => {
  terraform.set({ FAKE_TF_APPLY: undefined, FAKE_TF_PLAN_MS: undefined });
  bot = startBot(emulator.url);
  probot = productionLikeProbot();
  approvedPullRequest(bot.github, { number: 5, head });
});
afterEach(() => bot.close());

describe("GitHub API errors", () => {
  it("retries a 502 and carries on", async () => {
    bot.github.failures.push({
      method: "POST",
      path: /\/issues\/5\/comments$/,
      status: 502,
      times: 2,
    });
    await comment("/k3s help");
    expect(callsTo(/^POST .*\/issues\/5\/comments$/)).toBe(3);
    expect(lastComment()).toContain("k3s-bot commands");
  });

  it("gives up on a lasting 500 after 3 retries, then tells the PR and logs it", async () => {
    bot.github.failures.push({ method: "GET", path: /\/pulls\/5$/, status: 500, times: 1_000 });
    await comment("/k3s plan");
    expect(callsTo(/^GET .*\/pulls\/5$/)).toBe(4);
    expect(lastComment()).toContain("### k3s-bot · failed");
    expect(lastComment()).toContain("injected 500");
    expect(bot.github.reactions.map((r) => r.content)).toEqual(["eyes", "confused"]);
    expect(logs.join("")).toContain("command on #5 failed: injected 500");
  });

  it("waits out a rate limit (403, x-ratelimit-remaining 0) and carries on", async () => {
    bot.github.failures.push({
      method: "GET",
      path: /\/pulls\/5$/,
      status: 403,
      times: 2,
      headers: {
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(Math.floor(Date.now() / 1000)),
      },
    });
    await comment("/k3s plan ghost");
    expect(callsTo(/^GET .*\/pulls\/5$/)).toBe(3);
    expect(lastComment()).toContain("There is no `clusters/ghost.yaml`");
    expect(logs.join("")).toMatch(/quota exhausted|Rate limit/i);
  });

  it("stops after 3 rate-limit retries and says so on the PR", async () => {
    bot.github.failures.push({
      method: "GET",
      path: /\/pulls\/5$/,
      status: 403,
      times: 1_000,
      headers: {
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(Math.floor(Date.now() / 1000)),
      },
    });
    await comment("/k3s plan ghost");
    expect(callsTo(/^GET .*\/pulls\/5$/)).toBe(4);
    expect(lastComment()).toContain("### k3s-bot · failed");
    expect(logs.join("")).toContain("command on #5 failed");
  });

  it("retries a 429 with retry-after and carries on", async () => {
    bot.github.failures.push({
      method: "GET",
      path: /\/pulls\/5$/,
      status: 429,
      times: 2,
      headers: { "retry-after": "1" },
    });
    await comment("/k3s plan ghost");
    expect(callsTo(/^GET .*\/pulls\/5$/)).toBe(3);
    expect(lastComment()).toContain("There is no `clusters/ghost.yaml`");
  });

  it("tells the PR when an autoplan fails, instead of only logging it", async () => {
    bot.github.failures.push({
      method: "GET",
      path: /\/pulls\/5\/files$/,
      status: 503,
      times: 1_000,
    });
    await receive(
      "pull_request",
      pullRequestEvent({ repo: REPO, pullRequest: 5, action: "synchronize" }),
    );
    expect(callsTo(/^GET .*\/pulls\/5\/files/)).toBe(4);
    expect(lastComment()).toContain("### k3s-bot · failed");
    expect(lastComment()).toContain("`/k3s plan`");
    expect(logs.join("")).toContain("autoplan of #5 failed");
  });

  it("completes its check run as failed when commenting keeps failing, logs it, and fails the delivery", async () => {
    bot.github.failures.push(
      { method: "POST", path: /\/issues\/5\/comments$/, status: 500, times: 1_000 },
      { method: "GET", path: /\/issues\/5\/comments$/, status: 500, times: 1_000 },
    );
    await expect(comment("/k3s plan ghost")).rejects.toThrow();
    const check = bot.github.latestCheck("k3s plan · ghost");
    expect(check).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(check?.output.title).toBe("k3s-bot stopped before it finished");
    expect(logs.join("")).toContain("could not report the failure on GitHub");
  });

  it("reports a definition gone from a deleted branch's head (404) as missing, with a failed check", async () => {
    const pr = bot.github.pulls.get(5);
    if (!pr) throw new Error("no PR 5");
    pr.headSha = sha("b");
    await comment("/k3s plan");
    expect(bot.github.markedComment(5, "<!-- k3s-bot:plan:dev -->")?.body).toContain(
      "There is no `clusters/dev.yaml` at `bbbbbbb`",
    );
    expect(bot.github.latestCheck("k3s plan · dev")?.conclusion).toBe("failure");
  });

  it("says on a closed PR that its locks are still held when releasing them fails", async () => {
    await comment("/k3s plan");
    expect(await lockHolder()).toBe(5);
    const pr = bot.github.pulls.get(5);
    if (!pr) throw new Error("no PR 5");
    pr.state = "closed";
    const stopped = bot.runs.releasePullRequest.bind(bot.runs);
    bot.runs.releasePullRequest = async () => {
      throw new Error("DynamoDB unreachable");
    };
    await receive(
      "pull_request",
      pullRequestEvent({ repo: REPO, pullRequest: 5, action: "closed" }),
    );
    bot.runs.releasePullRequest = stopped;
    expect(lastComment()).toContain("still held");
    expect(lastComment()).toContain("/k3s unlock <cluster>");
    expect(await lockHolder()).toBe(5);
  });
});

describe("terraform killed mid-apply", () => {
  it("keeps the lock, says the apply was interrupted and what to do, never reapplies that plan, and plans again", async () => {
    await comment("/k3s plan");
    expect(bot.github.latestCheck("k3s plan · dev")?.conclusion).toBe("success");

    terraform.set({ FAKE_TF_APPLY: "hang" });
    const applying = comment("/k3s apply");
    let hanging: number | undefined;
    for (let i = 0; i < 200 && hanging === undefined; i++) {
      hanging = terraform.events().find((e) => e.event === "hanging")?.pid;
      if (hanging === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(hanging).toBeDefined();
    process.kill(hanging as number, "SIGKILL");
    await applying;

    const body = bot.github.markedComment(5, "<!-- k3s-bot:apply:dev -->")?.body ?? "";
    expect(body).toContain("### k3s apply · `dev` · interrupted");
    expect(body).toContain("terraform was interrupted");
    expect(body).toContain("comment `/k3s plan dev` to see what remains");
    expect(bot.github.latestCheck("k3s apply · dev")?.conclusion).toBe("failure");
    expect(await lockHolder()).toBe(5);
    expect(logs.join("")).toContain("apply dev interrupted");

    // The interrupted plan is not applied again.
    terraform.set({ FAKE_TF_APPLY: undefined });
    const appliesBefore = terraform.runs().filter((r) => r.args[0] === "apply").length;
    await comment("/k3s apply");
    expect(bot.github.markedComment(5, "<!-- k3s-bot:apply:dev -->")?.body).toContain(
      "no plan for `aaaaaaa`",
    );
    expect(terraform.runs().filter((r) => r.args[0] === "apply")).toHaveLength(appliesBefore);

    // A new plan works, and applies.
    await comment("/k3s plan");
    expect(bot.github.latestCheck("k3s plan · dev")?.conclusion).toBe("success");
    await comment("/k3s apply");
    expect(bot.github.markedComment(5, "<!-- k3s-bot:apply:dev -->")?.body).toContain(
      "### k3s apply · `dev` · applied",
    );
    expect(await lockHolder()).toBe(5);
  });
});

describe("the emulator stopped mid-plan", () => {
  it("reports a clear failure on the PR and the check, and says the lock stays with the PR", async () => {
    const own = await startEmulator();
    bot.close();
    bot = startBot(own.url);
    probot = productionLikeProbot();
    bot.github.setFile(head, "clusters/dev.yaml", smallCluster("dev"));
    bot.github.addPull({
      number: 5,
      headSha: head,
      files: [{ filename: "clusters/dev.yaml", status: "modified" }],
    });
    bot.github.permissions.set("alice", "write");
    terraform.set({ FAKE_TF_PLAN_MS: "1500" });
    try {
      const planning = comment("/k3s plan");
      let planStarted = false;
      for (let i = 0; i < 200 && !planStarted; i++) {
        planStarted = terraform.runs().some((r) => r.args[0] === "plan");
        if (!planStarted) await new Promise((r) => setTimeout(r, 50));
      }
      expect(planStarted).toBe(true);
      // The lock was taken before terraform started: it is this PR's.
      const dynamodb = new DynamoDBClient(emulatorAwsClientConfig(own.url));
      expect((await new ClusterLocks(dynamodb, "acme-k3s-bot").get(devRef))?.pullRequest).toBe(5);
      dynamodb.destroy();
      await own.stop();
      await planning;
    } finally {
      await own.stop();
    }
    const body = bot.github.markedComment(5, "<!-- k3s-bot:plan:dev -->")?.body ?? "";
    expect(body).toContain("### k3s plan · `dev` · failed");
    expect(body).toMatch(/ECONNREFUSED|connect|socket|fetch failed/i);
    expect(body).toContain("stays with this PR");
    expect(body).toContain("/k3s unlock dev");
    expect(bot.github.latestCheck("k3s plan · dev")?.conclusion).toBe("failure");
    expect(logs.join("")).toContain("plan dev failed");
  });
});
