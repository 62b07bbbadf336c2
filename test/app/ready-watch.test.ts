/**
 * After an apply the bot watches the cluster's status parameter in the emulator's SSM (moto),
 * written here by a fake reporter in the shape infra/bootstrap/scripts/cluster-status.py writes:
 * the check run stays in progress with a one-line summary, then concludes success with the time
 * to ready, or failure naming what is stuck with its (redacted) log; a restart in the middle
 * resumes the watch; no Terraform slot is held while waiting.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { Probot } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createK3sBot } from "../../app/bot/app";
import { RepoGitHub } from "../../app/bot/github";
import { ReadyWatcher } from "../../app/bot/ready-watch";
import { type DynamoRunStore, RunJournal } from "../../app/bot/run-journal";
import { clusterStatusText } from "../../app/cli/status";
import { ssmStatusReader } from "../../app/engine/cluster-status/read";
import { loadDefinitionFile } from "../../app/engine/definitions/load";
import { emulatorAwsClientConfig } from "../../app/local/emulator";
import {
  approvedPullRequest,
  type BotHarness,
  commentTo,
  journalTable,
  sha,
  startBot,
  until,
} from "../support/bot-harness";
import { useEmulatorWithFakeTerraform } from "../support/emulator-with-fake-terraform";
import { TestOctokit } from "../support/octokit";

const head = sha("c");
const CHECK = "k3s apply · dev";

const { emulator, terraform } = useEmulatorWithFakeTerraform();
let bot: BotHarness;
let dynamodb: DynamoDBClient;
let ssm: SSMClient;
let store: DynamoRunStore;
const journals: RunJournal[] = [];

async function replica(options: { timeoutMs: number; heartbeatMs?: number }) {
  let watcher: ReadyWatcher | undefined;
  const journal = new RunJournal({
    store,
    heartbeatMs: options.heartbeatMs ?? 60_000,
    resumeWatch: (github, record) => watcher?.resume(github, record) ?? Promise.resolve(),
  });
  journals.push(journal);
  watcher = new ReadyWatcher({
    read: ssmStatusReader((region) => bot.aws.clients(region).ssm),
    journal,
    timeoutMs: options.timeoutMs,
    firstPollMs: 30,
    maxPollMs: 60,
  });
  const probot = new Probot({ githubToken: "test-token", Octokit: TestOctokit, logLevel: "warn" });
  await probot.load(createK3sBot({ runs: bot.runs, journal, readyWatch: watcher }));
  return { probot, journal, watcher };
}

const comment = commentTo;

/** What the servers' reporter writes (cluster-status.py's document, version 1). */
function report(state: {
  api?: "up" | "down";
  servers?: boolean[];
  workers?: boolean[];
  cloudController?: "installed" | "installing" | "failing";
  log?: string;
}) {
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const node = (role: string, i: number, ready: boolean) => ({
    name: `ip-10-40-${role === "server" ? 1 : 2}-${i}`,
    role,
    ready,
    version: "v1.33.5+k3s1",
    since: now,
  });
  return JSON.stringify({
    v: 1,
    cluster: "dev",
    at: now,
    reporter: "ip-10-40-1-0",
    api: state.api ?? "up",
    nodes: [
      ...(state.servers ?? []).map((r, i) => node("server", i, r)),
      ...(state.workers ?? []).map((r, i) => node("agent", i, r)),
    ],
    charts: state.cloudController
      ? [
          {
            name: "aws-cloud-controller-manager",
            state: state.cloudController,
            ...(state.cloudController === "installed" ? { since: now } : { attempts: 4 }),
            ...(state.log ? { log: state.log } : {}),
          },
        ]
      : [],
    cut: [],
  });
}

const reporter = (value: string) =>
  ssm.send(
    new PutParameterCommand({
      Name: "/k3s-bot/dev/status",
      Value: value,
      Type: "String",
      Overwrite: true,
    }),
  );

async function planAndApply(probot: Probot) {
  await comment(probot, "/k3s plan");
  expect(bot.github.latestCheck("k3s plan · dev")?.conclusion).toBe("success");
  await comment(probot, "/k3s apply");
}

beforeEach(async () => {
  bot = startBot(emulator.url);
  ssm = new SSMClient(emulatorAwsClientConfig(emulator.url));
  ({ dynamodb, store } = await journalTable(emulator.url));
  approvedPullRequest(bot.github, { number: 5, head });
});
afterEach(async () => {
  for (const journal of journals.splice(0)) await journal.stop(0, { terminate: () => 0 });
  dynamodb.destroy();
  ssm.destroy();
  bot.close();
});

const applyComment = () =>
  bot.github.commentsOn(5).find((c) => c.body.includes("### k3s apply · `dev` · applied"));

describe("after an apply, the watch of the cluster's status", () => {
  it("keeps the check in progress with a summary, holds no Terraform slot, then succeeds with the time to ready", async () => {
    const { probot, watcher } = await replica({ timeoutMs: 60_000 });
    // A report from before this apply is not taken for the cluster after it.
    await reporter(
      report({ servers: [true], workers: [true], cloudController: "installed" }).replace(
        /"at":"[^"]+"/,
        '"at":"2026-01-01T00:00:00Z"',
      ),
    );
    await planAndApply(probot);
    const check = bot.github.latestCheck(CHECK);
    expect(check?.status).toBe("in_progress");
    expect(applyComment()?.body).toContain("Waiting for the cluster to report ready");
    // The apply's queued task is done: the watch holds no slot of the run queue.
    expect(bot.queue.pending).toBe(0);

    await reporter(report({ api: "down" }));
    await until("the API-down summary", () =>
      /API not answering/.test(bot.github.latestCheck(CHECK)?.output.title ?? ""),
    );
    await reporter(report({ servers: [true], workers: [false], cloudController: "installing" }));
    await until(
      "a progress summary",
      () =>
        bot.github.latestCheck(CHECK)?.output.title === "servers 1/1 · workers 0/1–2 · add-ons 0/1",
    );
    expect(bot.github.latestCheck(CHECK)?.status).toBe("in_progress");

    await reporter(report({ servers: [true], workers: [true], cloudController: "installed" }));
    await watcher.idle();
    expect(bot.github.latestCheck(CHECK)).toMatchObject({
      id: check?.id,
      status: "completed",
      conclusion: "success",
    });
    expect(bot.github.latestCheck(CHECK)?.output.title).toMatch(/^Ready in /);
    const body = applyComment()?.body ?? "";
    expect(body).toContain("#### Cluster ready");
    for (const phase of [
      "infrastructure applied",
      "first server up",
      "all nodes Ready",
      "add-ons converged",
    ])
      expect(body).toMatch(new RegExp(`\\| ${phase} \\| \\+\\d`));
    expect(body).toContain("k3s-bot kubeconfig clusters/dev.yaml");
    expect(body).not.toContain("Waiting for the cluster to report ready");
    expect(await store.list()).toEqual([]);
  });

  it("times out naming the failing add-on with its log tail, redacted", async () => {
    const { probot, watcher } = await replica({ timeoutMs: 1_500 });
    await planAndApply(probot);
    await reporter(
      report({
        servers: [true],
        workers: [true],
        cloudController: "failing",
        log: "Error: INSTALLATION FAILED: values don't meet the schema\naws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n```\n@everyone [x](https://evil.example)",
      }),
    );
    await watcher.idle();
    const check = bot.github.latestCheck(CHECK);
    expect(check).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(check?.output.title).toBe("Not ready: add-on aws-cloud-controller-manager (failing)");
    const body = applyComment()?.body ?? "";
    expect(body).toContain("#### Cluster not ready after");
    expect(body).toContain("INSTALLATION FAILED");
    expect(body).not.toContain("wJalrXUtnFEMI");
    // The log cannot close its code block: a longer fence surrounds it.
    expect(body).toContain("````text\n");
    expect(body).toContain("| add-ons converged | not yet |");
  });

  it("with no report at all, times out saying no server reported", async () => {
    const { probot, watcher } = await replica({ timeoutMs: 800 });
    await planAndApply(probot);
    await watcher.idle();
    expect(bot.github.latestCheck(CHECK)).toMatchObject({ conclusion: "failure" });
    expect(applyComment()?.body).toContain("No server reported after the apply");
  });

  it("survives a restart in the middle: another replica resumes the watch and concludes it", async () => {
    const first = await replica({ timeoutMs: 60_000, heartbeatMs: 100 });
    await planAndApply(first.probot);
    const check = bot.github.latestCheck(CHECK);
    await reporter(report({ servers: [true], workers: [false] }));
    await until("progress", () =>
      /workers 0\/1/.test(bot.github.latestCheck(CHECK)?.output.title ?? ""),
    );
    expect((await store.list()).map((r) => r.kind)).toEqual(["watch"]);

    // SIGTERM: the watch is not reported as interrupted, and its record stays.
    expect(await first.journal.stop(0, { terminate: () => 0 })).toEqual([]);
    await first.watcher.idle();
    expect((await store.list()).map((r) => r.kind)).toEqual(["watch"]);
    expect(bot.github.latestCheck(CHECK)?.status).toBe("in_progress");

    const second = await replica({ timeoutMs: 60_000, heartbeatMs: 100 });
    await new Promise((r) => setTimeout(r, 400)); // the first replica's heartbeat goes stale
    const resumed = await second.journal.sweep(async (installationId, repo) => {
      const [owner = "", name = ""] = repo.split("/");
      return new RepoGitHub((await second.probot.auth(installationId)) as never, owner, name);
    });
    expect(resumed).toBe(0); // resumed, not reported as interrupted
    await reporter(report({ servers: [true], workers: [true], cloudController: "installed" }));
    await second.watcher.idle();
    expect(bot.github.latestCheck(CHECK)).toMatchObject({ id: check?.id, conclusion: "success" });
    expect(bot.github.commentsOn(5).some((c) => c.body.includes("interrupted by a restart"))).toBe(
      false,
    );
    expect(await store.list()).toEqual([]);
  });
});

describe("/k3s status", () => {
  it("shows what each named cluster last reported, and says which it does not know", async () => {
    const { probot } = await replica({ timeoutMs: 60_000 });
    await reporter(
      report({
        servers: [true],
        workers: [false],
        cloudController: "failing",
        log: "Error: chart not found\ntoken: ghp_0123456789abcdefghijABCDEFGHIJ012345",
      }),
    );
    await comment(probot, "/k3s status dev nosuch");
    const body = bot.github.commentsOn(5).at(-1)?.body ?? "";
    expect(body).toContain("### k3s status · `dev` · not ready");
    expect(body).toContain("servers 1/1 · workers 0/1–2 · add-ons 0/1");
    expect(body).toContain("**Add-on `aws-cloud-controller-manager` failing** after 4 attempt(s)");
    expect(body).toContain("Error: chart not found");
    expect(body).not.toContain("ghp_0123456789");
    expect(body).toContain("No definition `clusters/nosuch.yaml`");
    // Nothing was planned or applied for it.
    expect(terraform.runs()).toEqual([]);
  });

  it("before any server reported, says so", async () => {
    const { probot } = await replica({ timeoutMs: 60_000 });
    await comment(probot, "/k3s status dev");
    expect(bot.github.commentsOn(5).at(-1)?.body).toContain("### k3s status · `dev` · no report");
  });
});

describe("the plan comment", () => {
  it("says when the cluster last reported and whether it was healthy", async () => {
    const { probot } = await replica({ timeoutMs: 60_000 });
    await reporter(report({ servers: [true], workers: [false], cloudController: "installed" }));
    await comment(probot, "/k3s plan");
    const plan = bot.github.commentsOn(5).find((c) => c.body.includes("k3s plan"))?.body ?? "";
    expect(plan).toMatch(
      /Cluster status: last reported \d+ s ago, \*\*not healthy\*\* \(waiting for `workers 0\/1 Ready`\) — servers 1\/1 · workers 0\/1–2 · add-ons 1\/1\./,
    );
  });
});

describe("k3s-bot status <file>", () => {
  it("prints the report as terminal text, redacted, without control characters", async () => {
    const loaded = loadDefinitionFile("examples/clusters/dev.yaml");
    if (!loaded.ok) throw new Error("examples/clusters/dev.yaml does not load");
    expect(await clusterStatusText(loaded.config, ssm)).toEqual({
      ok: false,
      text: "dev: no status report yet (/k3s-bot/dev/status in eu-central-1); the servers write one every 30 s once they boot",
    });
    await reporter(
      report({
        servers: [true],
        workers: [true],
        cloudController: "failing",
        log: "\u001b]0;pwned\u0007Error: boom\npassword=hunter2",
      }),
    );
    const { ok, text } = await clusterStatusText(loaded.config, ssm);
    expect(ok).toBe(true);
    expect(text).toMatch(
      /^dev: not ready — servers 1\/1 · workers 1\/1–3 · add-ons 0\/5 · Argo CD – · Jenkins not ready\n/,
    );
    expect(text).toContain("add-on aws-cloud-controller-manager failing");
    expect(text).toContain("  | ?]0;pwned?Error: boom");
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("\u001b");
  });
});
