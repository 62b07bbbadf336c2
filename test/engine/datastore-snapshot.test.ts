/**
 * The RDS snapshot before an apply that changes the datastore: which plans need one (from the
 * plan's JSON, by resource type, no client) and, against a fake client at the SDK boundary that
 * answers like RDS, only what the emulator cannot show: moto 5.2.1 makes a snapshot `available`
 * at once (moto/rds/models.py, DBSnapshot), so the waiting through `creating`, a snapshot that
 * ends `failed`, and one that never becomes available are tested here. The snapshot taken,
 * tagged and in place before terraform applies, and an instance that is gone, run against the
 * emulator (test/aws/datastore-snapshot.test.ts).
 */
import { CreateDBSnapshotCommand, DescribeDBSnapshotsCommand } from "@aws-sdk/client-rds";
import { describe, expect, it } from "vitest";
import {
  changedDatastores,
  snapshotDatastores,
  snapshotIdentifier,
} from "../../app/engine/datastore-snapshot";

const db = (actions: string[], identifier: string | null = "prod-k3s") => ({
  address: "aws_db_instance.database_instance_ABCD",
  type: "aws_db_instance",
  mode: "managed",
  change: { actions, before: identifier === null ? null : { identifier } },
});

describe("which plans change the datastore", () => {
  it("an update, a replacement or a delete of a DB instance; not a create or another type", () => {
    for (const actions of [["update"], ["delete", "create"], ["create", "delete"], ["delete"]]) {
      expect(changedDatastores({ resource_changes: [db(actions)] }), actions.join()).toEqual([
        { address: "aws_db_instance.database_instance_ABCD", identifier: "prod-k3s" },
      ]);
    }
    expect(changedDatastores({ resource_changes: [db(["create"], null)] })).toEqual([]);
    expect(changedDatastores({ resource_changes: [db(["no-op"])] })).toEqual([]);
    expect(changedDatastores({ resource_changes: [db(["read"])] })).toEqual([]);
    const parameterGroup = { ...db(["update"]), type: "aws_db_parameter_group" };
    expect(changedDatastores({ resource_changes: [parameterGroup] })).toEqual([]);
    expect(changedDatastores({ resource_changes: [{ ...db(["update"]), mode: "data" }] })).toEqual(
      [],
    );
    expect(changedDatastores({})).toEqual([]);
    expect(changedDatastores(null)).toEqual([]);
  });
});

/** RDS as the SDK sees it: snapshots go creating → available (or failed) over describe calls. */
function fakeRds(statuses: string[]) {
  const calls: { name: string; input: Record<string, unknown> }[] = [];
  let describes = 0;
  return {
    calls,
    send: async (command: unknown) => {
      if (command instanceof CreateDBSnapshotCommand) {
        calls.push({ name: "CreateDBSnapshot", input: { ...command.input } });
        return { DBSnapshot: { Status: "creating" } };
      }
      if (command instanceof DescribeDBSnapshotsCommand) {
        calls.push({ name: "DescribeDBSnapshots", input: { ...command.input } });
        const status = statuses[Math.min(describes++, statuses.length - 1)];
        return { DBSnapshots: [{ Status: status }] };
      }
      throw new Error(`unexpected command ${String(command)}`);
    },
  } as const;
}

const now = new Date("2026-11-29T10:05:07Z");
const noSleep = async () => {};

describe("the snapshot", () => {
  it("is taken and waited for until available, named for the instance and the time", async () => {
    const rds = fakeRds(["creating", "creating", "available"]);
    const taken = await snapshotDatastores(
      rds as never,
      [{ address: "a", identifier: "prod-k3s" }],
      { now, sleep: noSleep, pollMs: 1 },
    );
    expect(taken).toEqual(["k3s-bot-pre-apply-prod-k3s-20261129100507"]);
    expect(rds.calls.map((c) => c.name)).toEqual([
      "CreateDBSnapshot",
      "DescribeDBSnapshots",
      "DescribeDBSnapshots",
      "DescribeDBSnapshots",
    ]);
    expect(rds.calls[0]?.input).toMatchObject({
      DBInstanceIdentifier: "prod-k3s",
      DBSnapshotIdentifier: "k3s-bot-pre-apply-prod-k3s-20261129100507",
    });
  });

  it("fails, so nothing is applied, when the snapshot fails or does not finish in time", async () => {
    await expect(
      snapshotDatastores(
        fakeRds(["creating", "failed"]) as never,
        [{ address: "a", identifier: "db" }],
        {
          now,
          sleep: noSleep,
          pollMs: 1,
        },
      ),
    ).rejects.toThrow("RDS snapshot k3s-bot-pre-apply-db-20261129100507 of db ended failed");
    await expect(
      snapshotDatastores(fakeRds(["creating"]) as never, [{ address: "a", identifier: "db" }], {
        now,
        sleep: noSleep,
        pollMs: 60_000,
        timeoutMs: 180_000,
      }),
    ).rejects.toThrow("was not available after 3 minutes (status creating)");
  });

  it("has a name RDS accepts whatever the instance is called", () => {
    const id = snapshotIdentifier("weird--name_with.dots", now);
    expect(id).toMatch(/^[A-Za-z](?:[A-Za-z0-9]|-(?!-))*[A-Za-z0-9]$/);
  });
});
