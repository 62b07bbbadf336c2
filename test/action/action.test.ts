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
