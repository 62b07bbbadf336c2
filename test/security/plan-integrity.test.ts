/**
 * A saved plan swapped in S3 is not applied. The attacker here is anyone who can write to the
 * state bucket's `plans/` prefix but not to the lock table (a CI role, a person with bucket
 * access): after a PR's plan is reviewed, they replace the saved plan file (and, to cover their
 * tracks, its metadata too) in the emulator's S3. `/k3s apply` through the real app must refuse
 * with a comment saying what happened, and no `terraform apply` may start.
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { emulatorAwsClientConfig } from "../../app/local/emulator";
import { approvedPullRequest, type BotHarness, REPO, sha, startBot } from "../support/bot-harness";
import { useEmulatorWithFakeTerraform } from "../support/emulator-with-fake-terraform";
import { issueCommentCreated, pullRequestEvent } from "../support/payloads";

const BUCKET = "acme-tfstate";
let bot: BotHarness;
let s3: S3Client;
const head = sha("d");

const { emulator, terraform } = useEmulatorWithFakeTerraform();
beforeAll(async () => {
  s3 = new S3Client(emulatorAwsClientConfig(emulator.url));
});
afterAll(async () => {
  s3?.destroy();
});
beforeEach(async () => {
  bot = startBot(emulator.url);
  approvedPullRequest(bot.github, { number: 4, head, status: "added" });
});
afterEach(() => bot.close());

const planKeys = async () =>
  (
    (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "plans/" }))).Contents ?? []
  ).map((o) => o.Key ?? "");

async function planned(): Promise<void> {
  await bot.receive(
    "pull_request",
    pullRequestEvent({ repo: REPO, pullRequest: 4, action: "opened" }),
  );
  expect(bot.github.latestCheck("k3s plan · dev")?.conclusion).toBe("success");
}

const apply = () =>
  bot.receive(
    "issue_comment",
    issueCommentCreated({ repo: REPO, pullRequest: 4, body: "/k3s apply", user: "alice" }),
  );

describe("a saved plan changed in S3 after review", () => {
  it("applies the untouched plan (the control)", async () => {
    await planned();
    await apply();
    expect(bot.github.latestCheck("k3s apply · dev")?.conclusion).toBe("success");
    expect(terraform.runs().some((r) => r.args[0] === "apply")).toBe(true);
  });

  it.each([
    ["the plan file", "k3s.tfplan", "resource swapped in by someone with bucket access\n"],
    ["the Terraform configuration", "cdk.tf.json", '{"resource":{"null_resource":{"x":{}}}}\n'],
    ["the provider lock file", ".terraform.lock.hcl", '# provider "evil/aws"\n'],
  ])(
    "refuses to apply when %s was replaced, and starts no terraform apply",
    async (_what, file, body) => {
      await planned();
      const key = (await planKeys()).find((k) => k.endsWith(`/${file}`));
      expect(key, `saved ${file}`).toBeDefined();
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
      terraform.clear();
      await apply();
      const check = bot.github.latestCheck("k3s apply · dev");
      expect(check?.conclusion).toBe("failure");
      const comment = bot.github.markedComment(4, "k3s-bot:apply:dev")?.body ?? "";
      expect(comment).toContain("### k3s apply · refused");
      expect(comment).toContain("is not the plan k3s-bot made");
      expect(comment).toContain(`s3://${BUCKET}/plans/${REPO}/pr-4/dev/${head}/`);
      expect(comment).toContain("Nothing was applied");
      expect(terraform.runs().map((r) => r.args[0])).not.toContain("apply");
    },
  );

  it("refuses a swapped plan whose metadata was rewritten to match, since the digest is not in S3", async () => {
    await planned();
    const keys = await planKeys();
    const planKey = keys.find((k) => k.endsWith("/k3s.tfplan")) as string;
    const metadataKey = keys.find((k) => k.endsWith("/metadata.json")) as string;
    const stored = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: metadataKey }));
    const metadata = JSON.parse((await stored.Body?.transformToString()) ?? "{}");
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: planKey, Body: "swapped\n" }));
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: metadataKey,
        Body: JSON.stringify({ ...metadata, createdBy: "alice", destroy: 0 }),
      }),
    );
    terraform.clear();
    await apply();
    expect(bot.github.latestCheck("k3s apply · dev")?.conclusion).toBe("failure");
    expect(bot.github.markedComment(4, "k3s-bot:apply:dev")?.body).toContain(
      "is not the plan k3s-bot made",
    );
    expect(terraform.runs().map((r) => r.args[0])).not.toContain("apply");
  });
});
