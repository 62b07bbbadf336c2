/**
 * Webhook redelivery and duplicated events: two bot replicas share one
 * GitHub (nock) and one DynamoDB (the emulator); each delivery runs on exactly one of them,
 * however many times and to whichever replica it is delivered, and a comment delivered under
 * two delivery ids runs once. Without a delivery log (the protection removed) the same
 * deliveries run twice, which the last test shows.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import nock from "nock";
import { Probot } from "probot";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createK3sBot } from "../../app/bot/app";
import {
  commentKey,
  DELIVERY_TTL_SECONDS,
  type DeliveryLog,
  DynamoDeliveryLog,
  deliveryKey,
} from "../../app/bot/deliveries";
import { ClusterRuns } from "../../app/engine/cluster-runs";
import { RunQueue } from "../../app/engine/run-queue";
import { type Emulator, emulatorAwsClientConfig, startEmulator } from "../../app/local/emulator";
import { EmulatorAwsEnvironment } from "../../app/local/emulator-environment";
import { REPO, sha } from "../support/bot-harness";
import { FakeGitHub } from "../support/fake-github";
import { TestOctokit } from "../support/octokit";
import { issueCommentCreated, pullRequestEvent } from "../support/payloads";

const TABLE = "k3s-bot-deliveries";
const head = sha("d");

let emulator: Emulator;
let github: FakeGitHub;
let dynamodb: DynamoDBClient;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});

beforeEach(async () => {
  await emulator.reset();
  nock.disableNetConnect();
  nock.enableNetConnect((host) => host.startsWith("127.0.0.1"));
  github = new FakeGitHub(REPO);
  github.install();
  // An invalid definition: a plan is a full run (check run, comment) that needs no Terraform.
  github.setFile(head, "clusters/dev.yaml", "name: dev\nregion: nowhere-1\n");
  github.addPull({
    number: 5,
    headSha: head,
    files: [{ filename: "clusters/dev.yaml", status: "modified" }],
  });
  github.permissions.set("alice", "write");
  dynamodb = new DynamoDBClient(emulatorAwsClientConfig(emulator.url, emulator.region));
  await new DynamoDeliveryLog(dynamodb, TABLE).ensureTable();
});
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  dynamodb.destroy();
  nock.cleanAll();
  nock.enableNetConnect();
});

/** One bot replica: its own Probot, run engine and AWS clients; GitHub and DynamoDB shared. */
function replica(deliveries?: DeliveryLog) {
  const aws = new EmulatorAwsEnvironment(emulator.url);
  const workRoot = mkdtempSync(join(tmpdir(), "k3s-bot-replica-"));
  const runs = new ClusterRuns({
    aws,
    queue: new RunQueue(1),
    workRoot,
    timeoutMs: 60_000,
    gitopsRepoUrl: (repo) => `https://github.com/${repo}.git`,
  });
  const probot = new Probot({
    githubToken: "test-token",
    Octokit: TestOctokit,
    logLevel: "fatal",
  });
  probot.load(createK3sBot({ runs, ...(deliveries ? { deliveries } : {}) }));
  cleanups.push(() => {
    aws.destroy();
    rmSync(workRoot, { recursive: true, force: true });
  });
  return {
    receive: (id: string, name: "issue_comment" | "pull_request", payload: object) =>
      probot.receive({ id, name, payload } as never),
  };
}

const logOf = () => new DynamoDeliveryLog(dynamodb, TABLE);
const planComment = (commentId: number) =>
  issueCommentCreated({
    repo: REPO,
    pullRequest: 5,
    body: "/k3s plan dev",
    user: "alice",
    commentId,
  });
const planRuns = () => github.checkRuns.filter((run) => run.name === "k3s plan · dev").length;

describe("a delivery runs at most once across replicas", () => {
  it("the same delivery sent to two replicas at once runs once", async () => {
    const [a, b] = [replica(logOf()), replica(logOf())];
    const payload = planComment(101);
    await Promise.all([
      a.receive("delivery-1", "issue_comment", payload),
      b.receive("delivery-1", "issue_comment", payload),
    ]);
    expect(planRuns()).toBe(1);
    expect(
      github.reactions.filter((r) => r.commentId === 101 && r.content === "eyes"),
    ).toHaveLength(1);
    expect(github.commentsOn(5)).toHaveLength(1);
  });

  it("a redelivery (same id, later, to the other replica) does not run again", async () => {
    const [a, b] = [replica(logOf()), replica(logOf())];
    const payload = planComment(102);
    await a.receive("delivery-2", "issue_comment", payload);
    await b.receive("delivery-2", "issue_comment", payload);
    await a.receive("delivery-2", "issue_comment", payload);
    expect(planRuns()).toBe(1);
  });

  it("the same comment under two delivery ids runs once", async () => {
    const [a, b] = [replica(logOf()), replica(logOf())];
    const payload = planComment(103);
    await Promise.all([
      a.receive("delivery-3a", "issue_comment", payload),
      b.receive("delivery-3b", "issue_comment", payload),
    ]);
    expect(planRuns()).toBe(1);
  });

  it("different comments with the same text each run", async () => {
    const a = replica(logOf());
    await a.receive("delivery-4a", "issue_comment", planComment(104));
    await a.receive("delivery-4b", "issue_comment", planComment(105));
    expect(planRuns()).toBe(2);
  });

  it("a pull_request delivery redelivered runs once (autoplan)", async () => {
    const [a, b] = [replica(logOf()), replica(logOf())];
    const payload = pullRequestEvent({
      repo: REPO,
      pullRequest: 5,
      action: "synchronize",
      headSha: head,
    });
    await Promise.all([
      a.receive("delivery-5", "pull_request", payload),
      b.receive("delivery-5", "pull_request", payload),
    ]);
    await b.receive("delivery-5", "pull_request", payload);
    expect(planRuns()).toBe(1);
  });

  it("ordinary conversation is not recorded", async () => {
    const a = replica(logOf());
    await a.receive(
      "delivery-6",
      "issue_comment",
      issueCommentCreated({
        repo: REPO,
        pullRequest: 5,
        body: "LGTM",
        user: "alice",
        commentId: 106,
      }),
    );
    const item = await dynamodb.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { pk: { S: deliveryKey("delivery-6") }, sk: { S: "seen" } },
      }),
    );
    expect(item.Item).toBeUndefined();
  });

  it("without a delivery log (protection removed) the same delivery runs twice", async () => {
    const [a, b] = [replica(), replica()];
    const payload = planComment(107);
    await a.receive("delivery-7", "issue_comment", payload);
    await b.receive("delivery-7", "issue_comment", payload);
    expect(planRuns()).toBe(2);
  });
});

describe("the delivery records", () => {
  it("carry a TTL a week ahead and a key prefix of their own", async () => {
    const now = new Date("2026-11-08T12:00:00Z");
    const log = new DynamoDeliveryLog(dynamodb, TABLE, () => now);
    expect(
      await log.claim({ deliveryId: "d-1", event: "issue_comment", eventKey: commentKey(REPO, 9) }),
    ).toEqual({
      run: true,
    });
    for (const pk of [deliveryKey("d-1"), commentKey(REPO, 9)]) {
      const { Item } = await dynamodb.send(
        new GetItemCommand({ TableName: TABLE, Key: { pk: { S: pk }, sk: { S: "seen" } } }),
      );
      expect(Item?.expiresAt?.N).toBe(String(now.getTime() / 1000 + DELIVERY_TTL_SECONDS));
      expect(pk).toMatch(/^(delivery|comment)#/);
    }
  });

  it("say which copy was the duplicate", async () => {
    const log = logOf();
    await log.claim({ deliveryId: "d-2", event: "issue_comment", eventKey: "comment#x#1" });
    expect(
      await log.claim({ deliveryId: "d-2", event: "issue_comment", eventKey: "comment#x#1" }),
    ).toEqual({
      run: false,
      reason: "duplicate-delivery",
    });
    expect(
      await log.claim({ deliveryId: "d-3", event: "issue_comment", eventKey: "comment#x#1" }),
    ).toEqual({
      run: false,
      reason: "duplicate-event",
    });
    // The refused claim wrote nothing: d-3 is still free for a different event.
    expect(await log.claim({ deliveryId: "d-3", event: "issue_comment" })).toEqual({ run: true });
  });

  it("a store that cannot be reached lets the event run and says why", async () => {
    const log = new DynamoDeliveryLog(dynamodb, "no-such-table");
    const result = await log.claim({ deliveryId: "d-4", event: "issue_comment" });
    expect(result.run).toBe(true);
    expect(result).toHaveProperty("error");
  });
});
