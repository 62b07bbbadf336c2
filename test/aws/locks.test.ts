/**
 * Cluster locks against DynamoDB as the emulator serves it (conditional writes, transactions).
 */
import { describe, expect, it } from "vitest";
import { ClusterLocks, type ClusterRef } from "../../app/engine/locks";
import { useEmulatorLockTable } from "../support/emulator-lock-table";

const table = "k3s-bot-locks";
const { client } = useEmulatorLockTable(table);

const dev: ClusterRef = {
  cluster: "dev",
  stateBucket: "acme-tfstate",
  stateKey: "k3s/dev/terraform.tfstate",
};
const prod: ClusterRef = {
  cluster: "prod",
  stateBucket: "acme-tfstate",
  stateKey: "k3s/prod/terraform.tfstate",
};
const pr1 = { repo: "acme/infra", pullRequest: 1, user: "alice" };
const pr2 = { repo: "acme/infra", pullRequest: 2, user: "bob" };

describe("ClusterLocks", () => {
  it("gives a cluster to the first PR and names it to the second", async () => {
    const locks = new ClusterLocks(client, table);
    const first = await locks.acquire(dev, pr1);
    expect(first.acquired).toBe(true);
    const second = await locks.acquire(dev, pr2);
    expect(second).toMatchObject({
      acquired: false,
      heldBy: { repo: "acme/infra", pullRequest: 1, user: "alice" },
    });
    // The holder re-planning keeps its lock (Atlantis #6531: a re-plan must not drop it).
    expect((await locks.acquire(dev, { ...pr1, user: "carol" })).acquired).toBe(true);
    expect((await locks.get(dev))?.user).toBe("alice");
  });

  it("lets exactly one of two PRs racing for the same cluster win", async () => {
    // Two ClusterLocks objects stand for two bot replicas.
    const results = await Promise.all([
      new ClusterLocks(client, table).acquire(dev, pr1),
      new ClusterLocks(client, table).acquire(dev, pr2),
    ]);
    expect(results.filter((r) => r.acquired)).toHaveLength(1);
    const winner = await new ClusterLocks(client, table).get(dev);
    const loser = results.find((r) => !r.acquired);
    expect(loser && !loser.acquired && loser.heldBy.pullRequest).toBe(winner?.pullRequest);
  });

  it("does not let another PR release the lock", async () => {
    const locks = new ClusterLocks(client, table);
    await locks.acquire(dev, pr1);
    expect(await locks.release(dev, pr2)).toMatchObject({
      released: false,
      heldBy: { pullRequest: 1 },
    });
    expect(await locks.get(dev)).not.toBeNull();
  });

  it("releases every lock of a PR on merge, idempotently", async () => {
    const locks = new ClusterLocks(client, table);
    await locks.acquire(dev, pr1);
    await locks.acquire(prod, pr1);
    expect((await locks.releaseAll("acme/infra", 1, "alice")).sort()).toEqual(["dev", "prod"]);
    expect(await locks.get(dev)).toBeNull();
    expect(await locks.get(prod)).toBeNull();
    expect(await locks.heldBy("acme/infra", 1)).toEqual([]);
    // A redelivered "closed" webhook finds nothing left to do.
    expect(await locks.releaseAll("acme/infra", 1, "alice")).toEqual([]);
    expect((await locks.acquire(dev, pr2)).acquired).toBe(true);
  });
});
