/**
 * The bot as the benchmark drives it: the real Probot app and run engine, GitHub faked by nock
 * (test/support/fake-github.ts), AWS served by the emulator. Like test/support/bot-harness.ts,
 * but the run queue is bounded as in production (by the number of cores) unless told otherwise.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { Probot } from "probot";
import { createK3sBot } from "../app/bot/app";
import { ClusterRuns } from "../app/engine/cluster-runs";
import { defaultConcurrency, RunQueue } from "../app/engine/run-queue";
import { EmulatorAwsEnvironment } from "../app/local/emulator-environment";
import { FakeGitHub } from "../test/support/fake-github";
import { TestOctokit } from "../test/support/octokit";
import { issueCommentCreated } from "../test/support/payloads";

export const REPO = "acme/platform";

export interface BenchBot {
  github: FakeGitHub;
  runs: ClusterRuns;
  queue: RunQueue;
  aws: EmulatorAwsEnvironment;
  workRoot: string;
  /** Delivers an issue_comment webhook; resolves when the bot has finished handling it. */
  comment(pullRequest: number, body: string): Promise<void>;
  close(): void;
}

export function startBenchBot(
  emulatorUrl: string,
  options: { maxTerraform?: number } = {},
): BenchBot {
  nock.disableNetConnect();
  nock.enableNetConnect((host) => host.startsWith("127.0.0.1"));
  const github = new FakeGitHub(REPO);
  github.install();
  github.permissions.set("alice", "write");
  const aws = new EmulatorAwsEnvironment(emulatorUrl);
  const queue = new RunQueue(options.maxTerraform ?? defaultConcurrency(availableParallelism()));
  const workRoot = mkdtempSync(join(tmpdir(), "k3s-bot-bench-"));
  const runs = new ClusterRuns({
    aws,
    queue,
    workRoot,
    timeoutMs: 20 * 60_000,
    gitopsRepoUrl: (repo) => `https://github.com/${repo}.git`,
  });
  const probot = new Probot({
    githubToken: "bench-token",
    Octokit: TestOctokit,
    logLevel: "warn",
  });
  probot.load(createK3sBot({ runs }));
  let delivery = 0;
  return {
    github,
    runs,
    queue,
    aws,
    workRoot,
    async comment(pullRequest, body) {
      delivery += 1;
      await probot.receive({
        id: `bench-${delivery}`,
        name: "issue_comment",
        payload: issueCommentCreated({ repo: REPO, pullRequest, body, user: "alice" }),
      } as never);
    },
    close() {
      nock.cleanAll();
      nock.enableNetConnect();
      aws.destroy();
      rmSync(workRoot, { recursive: true, force: true });
    },
  };
}
