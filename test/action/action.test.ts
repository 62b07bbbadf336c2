/**
 * The Action front door (app/action/main.ts) with a GitHub Actions job's environment: an event
 * file, GITHUB_TOKEN, GITHUB_REPOSITORY; GitHub itself faked by nock. Only paths that need no
 * AWS: the full PR life runs through the same handlers in test/app/ against the emulator.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import type { ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HANDLED_EVENT_NAMES, runAction } from "../../app/action/main";
import { helpText } from "../../app/bot/commands";
import { createClusterRuns } from "../../app/runtime";
import { FakeGitHub } from "../support/fake-github";
import { TestOctokit } from "../support/octokit";
import { issueCommentCreated, pullRequestEvent } from "../support/payloads";
import { DEV_ON_K3S_1_33_5, K3S_1_33_7_OUT } from "../support/update-sources";

const REPO = "acme/platform";

let dir: string;
let github: FakeGitHub;
let lines: string[];

function job(eventName: string, payload: unknown, extra: Record<string, string> = {}) {
  const eventPath = join(dir, "event.json");
  writeFileSync(eventPath, JSON.stringify(payload));
  const env = {
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_TOKEN: "ghs_action-token",
    GITHUB_REPOSITORY: REPO,
    GITHUB_RUN_ID: "4242",
    GITHUB_RUN_ATTEMPT: "1",
    K3S_BOT_WORK_DIR: join(dir, "work"),
    LOG_LEVEL: "warn",
    ...extra,
  };
  return runAction(env, {
    Octokit: TestOctokit as typeof ProbotOctokit,
    runs: createClusterRuns(env),
    sources: K3S_1_33_7_OUT,
    write: (line) => lines.push(line),
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "k3s-bot-action-"));
  lines = [];
  nock.disableNetConnect();
  github = new FakeGitHub(REPO);
  github.install();
  github.addPull({ number: 7, headSha: "a".repeat(40) });
});

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
  rmSync(dir, { recursive: true, force: true });
});

describe("the Action front door", () => {
  it("answers `/k3s help` on a PR with the help comment, through the app's handlers", async () => {
    const code = await job(
      "issue_comment",
      issueCommentCreated({
        repo: REPO,
        pullRequest: 7,
        body: "/k3s help",
        user: "alice",
        commentId: 555,
      }),
    );
    expect(lines).toEqual([]);
    expect(code).toBe(0);
    const comments = github.commentsOn(7);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toBe(helpText());
    expect(github.reactions).toEqual([
      { commentId: 555, content: "eyes" },
      { commentId: 555, content: "+1" },
    ]);
    // The rules came from the default branch, as in the app.
    expect(github.calls).toContain(`GET /repos/${REPO}/contents/.github%2Fk3s-bot.yml?ref=main`);
  });

  it("takes pull_request_target as pull_request (autoplan; nothing to plan here)", async () => {
    const code = await job(
      "pull_request_target",
      pullRequestEvent({ repo: REPO, pullRequest: 7, action: "opened", headSha: "a".repeat(40) }),
    );
    expect(code).toBe(0);
    expect(github.calls).toContain(`GET /repos/${REPO}/pulls/7/files?per_page=100`);
    expect(github.comments).toEqual([]);
  });

  it("ignores comments that are not commands without calling GitHub", async () => {
    const code = await job(
      "issue_comment",
      issueCommentCreated({ repo: REPO, pullRequest: 7, body: "looks good", user: "bob" }),
    );
    expect(code).toBe(0);
    expect(github.calls).toEqual([]);
  });

  it("does nothing, successfully, for events the app does not handle", async () => {
    const code = await job("push", { ref: "refs/heads/main" });
    expect(code).toBe(0);
    expect(lines.join("\n")).toMatch(/nothing to do for push events/);
    expect(github.calls).toEqual([]);
    expect(HANDLED_EVENT_NAMES).toEqual(["issue_comment", "pull_request"]);
  });

  it("exits 2 with one error line when the job lacks its token or its event", async () => {
    const noToken = await job(
      "issue_comment",
      issueCommentCreated({ repo: REPO, pullRequest: 7, body: "/k3s help", user: "alice" }),
      { GITHUB_TOKEN: "" },
    );
    expect(noToken).toBe(2);
    expect(lines).toEqual([
      "::error title=k3s-bot::GITHUB_TOKEN is not set; run this inside a GitHub Actions job",
    ]);
    lines = [];
    const noEvent = await job(
      "issue_comment",
      {},
      { GITHUB_EVENT_PATH: join(dir, "missing.json") },
    );
    expect(noEvent).toBe(2);
    expect(lines[0]).toMatch(/^::error title=k3s-bot::cannot read the event file/);
    expect(github.calls).toEqual([]);
  });

  it("refuses an event for another repository than the token's", async () => {
    const code = await job(
      "issue_comment",
      issueCommentCreated({ repo: "other/repo", pullRequest: 7, body: "/k3s help", user: "a" }),
    );
    expect(code).toBe(2);
    expect(lines[0]).toMatch(/event is for other\/repo but GITHUB_REPOSITORY is acme\/platform/);
  });
});

describe("the Action's scheduled jobs", () => {
  /**
   * GitHub's view of the PRs the job opens, for the autoplan that reads them back: the fake
   * lists what was created, and here each one becomes a full PR with its head and changed file.
   */
  function servePulls() {
    github.beforeCall.push({
      method: "GET",
      path: /\/pulls\/\d+$/,
      run: () => {
        for (const created of github.createdPulls)
          github.addPull({
            number: created.number,
            headSha: github.branches.get(created.head) ?? "",
            headRef: created.head,
            author: "github-actions[bot]",
            files: [{ filename: "clusters/dev.yaml", status: "modified" }],
          });
      },
    });
  }

  it("opens the update PR and autoplans it in the same job (its token starts no workflow)", async () => {
    // autoplanLimit 0: the autoplan answers on the PR without Terraform, which shows it ran.
    github.pushCommit(
      "main",
      {
        "clusters/dev.yaml": DEV_ON_K3S_1_33_5,
        ".github/k3s-bot.yml": "plan: { autoplanLimit: 0 }\n",
      },
      "init",
    );
    servePulls();
    const code = await job(
      "workflow_dispatch",
      { inputs: { job: "updates" } },
      {
        K3S_BOT_SCHEDULED_JOB: "updates",
      },
    );
    expect(lines.filter((l) => l.startsWith("::error"))).toEqual([]);
    expect(code).toBe(0);
    const [pull] = github.createdPulls;
    expect(github.createdPulls.map((p) => p.head)).toEqual(["k3s-bot/update/dev/k3s"]);
    expect(lines).toContain(`updates dev k3s: opened (#${pull?.number})`);
    const comments = github.commentsOn(pull?.number ?? 0);
    expect(comments.map((c) => c.body.split("\n")[0])).toEqual([
      "### k3s plan · too many clusters at once",
    ]);
    // Only the update job ran: no drift issue was looked for.
    expect(github.calls.some((c) => c.includes("/issues?"))).toBe(false);
  });

  it("a failing update job fails the run with one error line, and the drift scan still runs", async () => {
    github.pushCommit(
      "main",
      { "clusters/dev.yaml": DEV_ON_K3S_1_33_5, ".github/k3s-bot.yml": "autoplan: maybe\n" },
      "init",
    );
    const code = await job("schedule", { schedule: "17 5 * * *" });
    expect(code).toBe(1);
    const errors = lines.filter((l) => l.startsWith("::error"));
    // The drift scan reads the same config and reports it; the update job says it failed.
    expect(errors).toEqual([
      expect.stringMatching(
        /^::error title=k3s-bot drift::drift scan of acme\/platform skipped: \.github\/k3s-bot\.yml/,
      ),
      expect.stringMatching(
        /^::error title=k3s-bot updates::acme\/platform: \.github\/k3s-bot\.yml.*autoplan/,
      ),
    ]);
    expect(github.createdPulls).toEqual([]);
  });

  it("refuses a job it does not know, before touching GitHub", async () => {
    const code = await job("workflow_dispatch", {}, { K3S_BOT_SCHEDULED_JOB: "backup" });
    expect(code).toBe(1);
    expect(lines).toEqual([
      "::error title=k3s-bot::K3S_BOT_SCHEDULED_JOB=backup: expected all, drift or updates",
    ]);
    expect(github.calls).toEqual([]);
  });
});
