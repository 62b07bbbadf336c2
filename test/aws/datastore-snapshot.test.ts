/**
 * The RDS snapshot before an apply that changes the datastore, against RDS as the emulator
 * serves it, through the engine's apply (ClusterRuns.apply) with Terraform replaced by the
 * recording fake (test/support/fake-terraform-bin.mjs), whose `show -json` says the saved plan
 * updates a DB instance.
 *
 * What moto 5.2.1 does here (moto/rds/models.py, exceptions.py): CreateDBSnapshot of an instance
 * it does not hold raises DBInstanceNotFound ("DBInstance <id> not found."; the SDK's
 * DBInstanceNotFoundFault), of an identifier it already
 * holds DBSnapshotAlreadyExists; a new DBSnapshot's status is "available" at once, with no
 * "creating" step (and an instance it creates gets an automated snapshot beside ours, hence the
 * `manual` filter). The waiting on `creating` and a snapshot that ends `failed` or never becomes
 * available are therefore tested with a fake client only (test/engine/datastore-snapshot.test.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateDBInstanceCommand,
  DescribeDBSnapshotsCommand,
  ListTagsForResourceCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClusterRuns, type PullRequestRef } from "../../app/engine/cluster-runs";
import { RunQueue } from "../../app/engine/run-queue";
import { emulatorAwsClientConfig } from "../../app/local/emulator";
import { EmulatorAwsEnvironment } from "../../app/local/emulator-environment";
import { MANAGED_BY_TAG } from "../../infra/naming";
import { REPO, sha, smallCluster } from "../support/bot-harness";
import { useEmulatorWithFakeTerraform } from "../support/emulator-with-fake-terraform";

const { emulator, terraform } = useEmulatorWithFakeTerraform();

const REGION = "eu-central-1";
const pr: PullRequestRef = { repo: REPO, pullRequest: 9, user: "alice", headSha: sha("d") };
let aws: EmulatorAwsEnvironment;
let rds: RDSClient;
let runs: ClusterRuns;
let workRoot: string;

/** The saved plan as `terraform show -json` gives it: an in-place update of one DB instance. */
const updatesDatabase = (identifier: string) =>
  JSON.stringify({
    format_version: "1.2",
    resource_changes: [
      {
        address: "aws_db_instance.database_instance_ABCD",
        type: "aws_db_instance",
        mode: "managed",
        change: { actions: ["update"], before: { identifier } },
      },
    ],
  });

beforeEach(() => {
  aws = new EmulatorAwsEnvironment(emulator.url);
  rds = new RDSClient(emulatorAwsClientConfig(emulator.url, REGION));
  workRoot = mkdtempSync(join(tmpdir(), "k3s-bot-snapshot-"));
  runs = new ClusterRuns({ aws, queue: new RunQueue(1), workRoot, rds: () => rds });
  terraform.set({ FAKE_TF_SHOW_JSON: undefined });
});
afterEach(() => {
  terraform.set({ FAKE_TF_SHOW_JSON: undefined });
  aws.destroy();
  rds.destroy();
  rmSync(workRoot, { recursive: true, force: true });
});

/** Plans the cluster for the PR (lock, saved plan), as a `/k3s plan` does. */
async function planned() {
  const outcome = await runs.plan(pr, { file: "clusters/dev.yaml", text: smallCluster("dev") });
  if (outcome.kind !== "planned") throw new Error(`plan: ${JSON.stringify(outcome)}`);
  return outcome.config;
}

const applies = () => terraform.runs().filter((r) => r.args[0] === "apply");

describe("the snapshot before an apply that changes the datastore", () => {
  it("is taken, tagged and available before terraform applies", async () => {
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: "dev-k3s",
        Engine: "postgres",
        DBInstanceClass: "db.t4g.micro",
        AllocatedStorage: 20,
        MasterUsername: "k3s",
        MasterUserPassword: "not-a-secret-1234",
      }),
    );
    const config = await planned();
    terraform.set({ FAKE_TF_SHOW_JSON: updatesDatabase("dev-k3s") });
    const outcome = await runs.apply(pr, config);
    expect(outcome.kind).toBe("applied");
    const log = outcome.kind === "applied" ? outcome.log : "";
    const id = /RDS snapshot (k3s-bot-pre-apply-dev-k3s-\d{14}) taken before the apply\./.exec(
      log,
    )?.[1];
    expect(id).toBeDefined();

    const { DBSnapshots: snapshots = [] } = await rds.send(
      new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: "dev-k3s", SnapshotType: "manual" }),
    );
    expect(snapshots.map((s) => [s.DBSnapshotIdentifier, s.Status, s.SnapshotType])).toEqual([
      [id, "available", "manual"],
    ]);
    const { TagList: tags = [] } = await rds.send(
      new ListTagsForResourceCommand({ ResourceName: snapshots[0]?.DBSnapshotArn }),
    );
    expect(tags).toEqual(Object.entries(MANAGED_BY_TAG).map(([Key, Value]) => ({ Key, Value })));
    // The snapshot was there before terraform apply started.
    const [apply] = applies();
    expect(apply).toBeDefined();
    expect(snapshots[0]?.SnapshotCreateTime?.getTime()).toBeLessThanOrEqual(apply?.start ?? 0);
  });

  it("of an instance that is gone: a clear error, no snapshot, and nothing applied", async () => {
    const config = await planned();
    terraform.set({ FAKE_TF_SHOW_JSON: updatesDatabase("dev-gone") });
    const outcome = await runs.apply(pr, config);
    expect(outcome).toMatchObject({ kind: "failed" });
    const error = outcome.kind === "failed" ? outcome.error : "";
    expect(error).toBe(
      "No snapshot of the RDS instance dev-gone (aws_db_instance.database_instance_ABCD) could be taken before the apply, so nothing was applied: DBInstanceNotFoundFault: DBInstance dev-gone not found. The instance is not there any more: plan again to see what an apply would do now.",
    );
    expect(applies()).toEqual([]);
    const { DBSnapshots: snapshots = [] } = await rds.send(
      new DescribeDBSnapshotsCommand({ SnapshotType: "manual" }),
    );
    expect(snapshots).toEqual([]);
    // The plan stays unapplied: nothing marks it done.
    const again = await runs.apply(pr, config);
    expect(again.kind).toBe("failed");
    expect(applies()).toEqual([]);
  });
});
