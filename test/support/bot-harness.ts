/**
 * A Probot instance running the real app, with GitHub faked by nock (FakeGitHub) and AWS served
 * by the emulator. Retries and throttling are off (test/support/octokit.ts) so error paths do not
 * hang: @octokit/plugin-retry 8.1.1 retries a 5xx up to 3 times with growing back-off
 * (dist-src/index.js, error-request.js), and @octokit/plugin-throttling 11.0.5 spaces writes a
 * second apart (dist-src/index.js, `minTime: 1e3`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import nock from "nock";
import { Probot } from "probot";
import { createK3sBot } from "../../app/bot/app";
import { DynamoDeliveryLog } from "../../app/bot/deliveries";
import { DynamoRunStore } from "../../app/bot/run-journal";
import type { AfterApply } from "../../app/bot/workflow";
import type { AwsEnvironment } from "../../app/engine/aws-environment";
import { ClusterRuns } from "../../app/engine/cluster-runs";
import { SynthCache } from "../../app/engine/plan/synth-cache";
import type { RepositoryBindings } from "../../app/engine/repository-bindings";
import { RunQueue } from "../../app/engine/run-queue";
import { emulatorAwsClientConfig } from "../../app/local/emulator";
import { EmulatorAwsEnvironment } from "../../app/local/emulator-environment";
import { FakeGitHub } from "./fake-github";
import { TestOctokit } from "./octokit";
import { issueCommentCreated } from "./payloads";

export const REPO = "acme/platform";

/**
 * Synthesized stacks shared by every bot of a test file (a file's module state), as one bot
 * process keeps them across its plans: each test starts a new bot, and without this each of
 * its plans synthesized the stack again (1–2 s each). The key is everything synthesis reads
 * (app/engine/plan/synth-cache.ts), so a test never gets another definition's stack.
 */
const synthCache = new SynthCache();

export interface BotHarness {
  probot: Probot;
  github: FakeGitHub;
  runs: ClusterRuns;
  queue: RunQueue;
  aws: EmulatorAwsEnvironment;
  receive(name: "issue_comment" | "pull_request", payload: Record<string, unknown>): Promise<void>;
  close(): void;
}

export function startBot(
  emulatorUrl: string,
  options: {
    wrapAws?: (aws: AwsEnvironment) => AwsEnvironment;
    /** The after-apply hook (e.g. the GitOps hand-off); none by default. */
    afterApply?: AfterApply;
    /** The operator's repository bindings (K3S_BOT_REPOSITORY_BINDINGS); none by default. */
    bindings?: RepositoryBindings;
    /** The repository the App sees events from (another installation's repository). */
    repo?: string;
  } = {},
): BotHarness {
  nock.disableNetConnect();
  // The emulator runs on loopback: let those requests through, nothing else.
  nock.enableNetConnect((host) => host.startsWith("127.0.0.1"));
  const github = new FakeGitHub(options.repo ?? REPO);
  github.install();
  const aws = new EmulatorAwsEnvironment(emulatorUrl);
  const queue = new RunQueue(2);
  const workRoot = mkdtempSync(join(tmpdir(), "k3s-bot-app-"));
  const runs = new ClusterRuns({
    aws: options.wrapAws ? options.wrapAws(aws) : aws,
    queue,
    workRoot,
    timeoutMs: 10 * 60_000,
    gitopsRepoUrl: (repo) => `https://github.com/${repo}.git`,
    synthCache,
    ...(options.bindings ? { bindings: options.bindings } : {}),
  });
  const probot = new Probot({
    githubToken: "test-token",
    Octokit: TestOctokit,
    logLevel: "warn",
  });
  probot.load(
    createK3sBot({ runs, ...(options.afterApply ? { afterApply: options.afterApply } : {}) }),
  );
  let delivery = 0;
  return {
    probot,
    github,
    runs,
    queue,
    aws,
    async receive(name, payload) {
      delivery += 1;
      await probot.receive({ id: `delivery-${delivery}`, name, payload } as never);
    },
    close() {
      nock.cleanAll();
      nock.enableNetConnect();
      aws.destroy();
      rmSync(workRoot, { recursive: true, force: true });
    },
  };
}

/** A small but complete cluster for app tests: fewer resources, so apply takes about a minute. */
export function smallCluster(
  name: string,
  overrides: { bucket?: string; extra?: string } = {},
): string {
  return [
    `name: ${name}`,
    "region: eu-central-1",
    "network:",
    "  vpcCidr: 10.40.0.0/16",
    "  azCount: 2",
    "  adminCidrs: [203.0.113.7/32]",
    "controlPlane: { count: 1, instanceType: t3.medium }",
    "workers: { min: 1, max: 2, instanceType: t3.large }",
    "datastore: { engine: etcd }",
    "storage: { efs: false }",
    "addons: { ingress: none, jenkins: false, argocd: false }",
    `state: { bucket: ${overrides.bucket ?? "acme-tfstate"}, lockTable: acme-k3s-bot }`,
    overrides.extra ?? "",
  ].join("\n");
}

export const sha = (seed: string) => seed.repeat(40).slice(0, 40);

/**
 * The usual starting point of a plan-and-apply test: PR `number` changes (or adds)
 * `clusters/<cluster>.yaml` to `smallCluster(cluster)` at `head`, approved by bob; alice and
 * bob may write.
 */
export function approvedPullRequest(
  github: FakeGitHub,
  options: { number: number; head: string; status?: "added" | "modified"; cluster?: string },
): void {
  const cluster = options.cluster ?? "dev";
  github.setFile(options.head, `clusters/${cluster}.yaml`, smallCluster(cluster));
  github.addPull({
    number: options.number,
    headSha: options.head,
    files: [{ filename: `clusters/${cluster}.yaml`, status: options.status ?? "modified" }],
    reviews: [{ user: "bob", state: "APPROVED", submitted_at: "2026-11-25T12:00:00Z" }],
  });
  github.permissions.set("alice", "write");
  github.permissions.set("bob", "write");
}

/**
 * The bot's DynamoDB table in the emulator as the App uses it (K3S_BOT_DELIVERY_TABLE), created
 * as the App creates it, with the run journal's store on it. Destroy `dynamodb` after the test.
 */
export async function journalTable(emulatorUrl: string, table = "k3s-bot-deliveries") {
  const dynamodb = new DynamoDBClient(emulatorAwsClientConfig(emulatorUrl));
  await new DynamoDeliveryLog(dynamodb, table).ensureTable();
  return { dynamodb, store: new DynamoRunStore(dynamodb, table) };
}

let commentDelivery = 0;

/**
 * `/k3s …` (or any comment) by alice on PR 5, delivered to `probot`: a replica built by the
 * test rather than the harness's own (BotHarness.receive). Each call is a new delivery.
 */
export function commentTo(
  probot: Probot,
  body: string,
  options: { pullRequest?: number; user?: string } = {},
): Promise<void> {
  return probot.receive({
    id: `comment-${++commentDelivery}`,
    name: "issue_comment",
    payload: issueCommentCreated({
      repo: REPO,
      pullRequest: options.pullRequest ?? 5,
      body,
      user: options.user ?? "alice",
    }),
  } as never);
}

/** Polls `done` until it holds; fails naming `what` after `timeoutMs`. */
export async function until(
  what: string,
  done: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  pollMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
