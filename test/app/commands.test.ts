/**
 * The bot's answers that need no Terraform run: ignored comments, typos, refusals, invalid
 * definitions, locks held elsewhere. Real Probot, real payload shapes, GitHub faked, AWS emulated.
 */

import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { STSClient } from "@aws-sdk/client-sts";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ClusterLocks } from "../../app/engine/locks";
import { ensureStateBackend } from "../../app/engine/state-backend";
import { type Emulator, emulatorAwsClientConfig, startEmulator } from "../../app/local/emulator";
import { type BotHarness, REPO, sha, smallCluster, startBot } from "../support/bot-harness";
import { BOT_LOGIN } from "../support/fake-github";
import { issueCommentCreated, pullRequestEvent } from "../support/payloads";

let emulator: Emulator;
let bot: BotHarness;
const head = sha("a");

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});
beforeEach(async () => {
  await emulator.reset();
  bot = startBot(emulator.url);
  bot.github.setFile(head, "clusters/dev.yaml", smallCluster("dev"));
  bot.github.addPull({
    number: 5,
    headSha: head,
    files: [{ filename: "clusters/dev.yaml", status: "modified" }],
  });
  bot.github.permissions.set("alice", "write");
  bot.github.permissions.set("bob", "write");
  bot.github.permissions.set("mallory", "read");
});
afterEach(() => bot.close());

const comment = (
  body: string,
  user = "alice",
  extra: Partial<Parameters<typeof issueCommentCreated>[0]> = {},
) =>
  bot.receive(
    "issue_comment",
    issueCommentCreated({ repo: REPO, pullRequest: 5, body, user, ...extra }),
  );

describe("comments the bot does not act on", () => {
  it.each([
    ["an ordinary comment", "looks good to me", {}],
    ["its own comment", "/k3s plan", { user: BOT_LOGIN, userType: "Bot" as const }],
    ["another bot's comment", "/k3s apply", { user: "renovate[bot]", userType: "Bot" as const }],
    ["a comment on an issue, not a PR", "/k3s plan", { onIssue: true }],
  ])("ignores %s", async (_name, body, extra) => {
    await comment(body, "user" in extra ? extra.user : "alice", extra);
    expect(bot.github.calls).toEqual([]);
  });
});

describe("commands it cannot run", () => {
  it("answers a typo with the right command and reacts", async () => {
    await comment("/k3s paln");
    expect(bot.github.commentsOn(5).at(-1)?.body).toContain("did you mean `/k3s plan`?");
    expect(bot.github.reactions.map((r) => r.content)).toEqual(["eyes"]);
  });

  it("answers /k3s help with the command table", async () => {
    await comment("/k3s help");
    expect(bot.github.commentsOn(5).at(-1)?.body).toContain("| `/k3s apply [cluster …]` |");
  });
});

describe("invalid definitions", () => {
  it("names file, line and field in the comment and fails the check run, planning nothing", async () => {
    bot.github.setFile(
      head,
      "clusters/dev.yaml",
      smallCluster("dev").replace("min: 1, max: 2", "min: 3, max: 2"),
    );
    await comment("/k3s plan");
    const body = bot.github.markedComment(5, "<!-- k3s-bot:plan:dev -->")?.body ?? "";
    expect(body).toContain("invalid definition");
    expect(body).toMatch(/\| line 8, column \d+ \| `workers.min` \|/);
    const check = bot.github.latestCheck("k3s plan · dev");
    expect(check).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(bot.github.reactions.map((r) => r.content)).toEqual(["eyes", "confused"]);
  });

  it("reports a definition missing at the head", async () => {
    await comment("/k3s plan ghost");
    expect(bot.github.markedComment(5, "<!-- k3s-bot:plan:ghost -->")?.body).toContain(
      "There is no `clusters/ghost.yaml`",
    );
  });
});

describe("apply refusals", () => {
  it("refuses a user without write access, naming what is missing", async () => {
    await comment("/k3s apply", "mallory");
    const body = bot.github.commentsOn(5).at(-1)?.body ?? "";
    expect(body).toContain("### k3s apply · refused");
    expect(body).toContain("@mallory needs write access");
    expect(bot.github.checkRuns).toEqual([]);
  });

  it("refuses without an approval by someone other than the author", async () => {
    bot.github.pulls
      .get(5)
      ?.reviews.push({ user: "alice", state: "APPROVED", submitted_at: "2026-11-25T12:00:00Z" });
    await comment("/k3s apply", "bob");
    expect(bot.github.commentsOn(5).at(-1)?.body).toContain(
      "needs an approval by someone with write access who is neither its author nor its last pusher",
    );
  });

  it("refuses a PR with merge conflicts", async () => {
    const pr = bot.github.pulls.get(5);
    if (pr)
      Object.assign(pr, {
        mergeable: false,
        mergeableState: "dirty",
        reviews: [{ user: "bob", state: "APPROVED", submitted_at: "2026-11-25T12:00:00Z" }],
      });
    await comment("/k3s apply", "bob");
    expect(bot.github.commentsOn(5).at(-1)?.body).toContain("merge conflicts");
  });

  it("refuses when this PR does not hold the lock (never planned)", async () => {
    bot.github.pulls
      .get(5)
      ?.reviews.push({ user: "bob", state: "APPROVED", submitted_at: "2026-11-25T12:00:00Z" });
    await comment("/k3s apply", "alice");
    expect(bot.github.markedComment(5, "<!-- k3s-bot:apply:dev -->")?.body).toContain(
      "does not hold the lock on `dev`",
    );
    expect(bot.github.latestCheck("k3s apply · dev")?.conclusion).toBe("failure");
    expect(bot.github.reactions.map((r) => r.content)).toEqual(["eyes", "confused"]);
  });
});

describe("locks", () => {
  it("tells a second PR who holds the cluster, and plans nothing", async () => {
    const config = emulatorAwsClientConfig(emulator.url);
    const clients = {
      s3: new S3Client(config),
      dynamodb: new DynamoDBClient(config),
      sts: new STSClient(config),
    };
    await ensureStateBackend(
      { bucket: "acme-tfstate", lockTable: "acme-k3s-bot", region: "eu-central-1" },
      clients,
    );
    await new ClusterLocks(clients.dynamodb, "acme-k3s-bot").acquire(
      { cluster: "dev", stateBucket: "acme-tfstate", stateKey: "k3s/dev/terraform.tfstate" },
      { repo: REPO, pullRequest: 4, user: "carol" },
    );
    await comment("/k3s plan");
    const body = bot.github.markedComment(5, "<!-- k3s-bot:plan:dev -->")?.body ?? "";
    expect(body).toContain("`dev` is locked by #4 (planned by @carol");
    expect(bot.github.latestCheck("k3s plan · dev")?.conclusion).toBe("failure");
    for (const client of Object.values(clients)) client.destroy();
  });

  it("does not autoplan a PR that changes no definitions", async () => {
    bot.github.addPull({
      number: 6,
      headSha: sha("b"),
      files: [{ filename: "README.md", status: "modified" }],
    });
    await bot.receive(
      "pull_request",
      pullRequestEvent({ repo: REPO, pullRequest: 6, action: "opened" }),
    );
    expect(bot.github.checkRuns).toEqual([]);
    expect(bot.github.comments).toEqual([]);
  });
});

describe("unlock", () => {
  const devRef = {
    cluster: "dev",
    stateBucket: "acme-tfstate",
    stateKey: "k3s/dev/terraform.tfstate",
  };
  async function seedLock(pullRequest: number) {
    const config = emulatorAwsClientConfig(emulator.url);
    const clients = {
      s3: new S3Client(config),
      dynamodb: new DynamoDBClient(config),
      sts: new STSClient(config),
    };
    await ensureStateBackend(
      { bucket: "acme-tfstate", lockTable: "acme-k3s-bot", region: "eu-central-1" },
      clients,
    );
    const locks = new ClusterLocks(clients.dynamodb, "acme-k3s-bot");
    await locks.acquire(devRef, { repo: REPO, pullRequest, user: "alice" });
    return {
      locks,
      close: () =>
        Object.values(clients).forEach((c) => {
          c.destroy();
        }),
    };
  }

  it("releases this PR's lock", async () => {
    const { locks, close } = await seedLock(5);
    await comment("/k3s unlock dev");
    expect(bot.github.commentsOn(5).at(-1)?.body).toContain("`dev`: unlocked");
    expect(await locks.get(devRef)).toBeNull();
    close();
  });

  it("leaves another PR's lock alone", async () => {
    const { locks, close } = await seedLock(4);
    await comment("/k3s unlock dev");
    expect(bot.github.commentsOn(5).at(-1)?.body).toContain(
      "`dev`: held by acme/platform#4, not by this PR",
    );
    expect((await locks.get(devRef))?.pullRequest).toBe(4);
    close();
  });

  it("needs write access", async () => {
    const { locks, close } = await seedLock(5);
    await comment("/k3s unlock dev", "mallory");
    expect(bot.github.commentsOn(5).at(-1)?.body).toContain("@mallory needs write access");
    expect((await locks.get(devRef))?.pullRequest).toBe(5);
    close();
  });
});

describe("a merged PR that deletes a protected cluster", () => {
  it("reads the definition at the base commit and refuses the destroy before it starts", async () => {
    const base = sha("b");
    const merge = sha("m");
    const prod = smallCluster("prod").replace(
      "datastore: { engine: etcd }",
      "datastore: { engine: postgres }",
    );
    // Before the PR the base commit had the definition; the merge removed it from main.
    bot.github.setFile(base, "clusters/prod.yaml", prod);
    bot.github.addPull({
      number: 8,
      headSha: sha("h"),
      baseSha: base,
      state: "closed",
      merged: true,
      mergeCommitSha: merge,
      files: [{ filename: "clusters/prod.yaml", status: "removed" }],
    });
    await bot.receive(
      "pull_request",
      pullRequestEvent({ repo: REPO, pullRequest: 8, action: "closed", merged: true }),
    );
    const said = bot.github
      .commentsOn(8)
      .map((c) => c.body)
      .join("\n");
    expect(said).toContain("the datastore of prod has deletion protection");
    expect(said).toContain("`datastore.deletionProtection: false`");
    expect(bot.github.calls).toContain(
      `GET /repos/${REPO}/contents/clusters%2Fprod.yaml?ref=${base}`,
    );
  });
});
