import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLAN_FILES, type PlanMetadata, PlanStore, planPrefix } from "../../app/engine/plan-store";
import { type Emulator, emulatorAwsClientConfig, startEmulator } from "../../app/local/emulator";

let emulator: Emulator;
let s3: S3Client;
const bucket = "acme-tfstate";
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "plan-store-"));
  dirs.push(dir);
  return dir;
};
const sha = (c: string) => c.repeat(40);
const meta = (headSha: string): PlanMetadata => ({
  repo: "acme/infra",
  pullRequest: 7,
  cluster: "dev",
  headSha,
  definitionHash: "d".repeat(64),
  createdAt: "2026-11-25T12:00:00Z",
  createdBy: "alice",
  add: 3,
  change: 0,
  destroy: 0,
  hasChanges: true,
});

beforeAll(async () => {
  emulator = await startEmulator();
  s3 = new S3Client(emulatorAwsClientConfig(emulator.url));
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      CreateBucketConfiguration: { LocationConstraint: "eu-central-1" },
    }),
  );
});
afterAll(async () => {
  s3?.destroy();
  await emulator?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("PlanStore", () => {
  it("saves a plan encrypted and restores exactly its bytes for that commit only", async () => {
    const store = new PlanStore(s3, bucket);
    const work = tempDir();
    writeFileSync(join(work, PLAN_FILES.plan), Buffer.from([0, 1, 2, 255]));
    writeFileSync(join(work, PLAN_FILES.config), '{"resource":{}}');
    writeFileSync(join(work, PLAN_FILES.lock), "# lock");
    await store.save(work, meta(sha("a")));

    const head = await s3.send(
      new HeadObjectCommand({
        Bucket: bucket,
        Key: `${planPrefix(meta(sha("a")))}${PLAN_FILES.plan}`,
      }),
    );
    expect(head.ServerSideEncryption).toBe("AES256");

    const target = tempDir();
    const restored = await store.restore(
      { repo: "acme/infra", pullRequest: 7, cluster: "dev", headSha: sha("a") },
      target,
    );
    expect(restored?.createdBy).toBe("alice");
    expect([...readFileSync(join(target, PLAN_FILES.plan))]).toEqual([0, 1, 2, 255]);
    expect(
      await store.restore(
        { repo: "acme/infra", pullRequest: 7, cluster: "dev", headSha: sha("b") },
        tempDir(),
      ),
    ).toBeNull();
    expect(await store.plannedCommits("acme/infra", 7, "dev")).toEqual([sha("a")]);
  });

  it("deletes every plan of a pull request", async () => {
    const store = new PlanStore(s3, bucket);
    const work = tempDir();
    for (const file of Object.values(PLAN_FILES)) writeFileSync(join(work, file), "x");
    await store.save(work, meta(sha("c")));
    expect(await store.deleteForPullRequest("acme/infra", 7)).toBeGreaterThanOrEqual(4);
    expect(await store.plannedCommits("acme/infra", 7, "dev")).toEqual([]);
  });

  it.each([
    ["../etc", 1, "dev", sha("a")],
    ["acme/infra", 0, "dev", sha("a")],
    ["acme/infra", 1, "../dev", sha("a")],
    ["acme/infra", 1, "dev", "HEAD"],
  ])("rejects unsafe key parts %s #%s %s %s", (repo, pullRequest, cluster, headSha) => {
    expect(() => planPrefix({ repo, pullRequest, cluster, headSha })).toThrow();
  });
});
