/**
 * Embedded etcd's snapshots and restore, with the real user data against the stub world
 * (world.ts): every server uploads k3s' snapshots to the cluster's bucket, and a server that
 * finds the cluster formed, its API silent and no older server alive restores the newest
 * snapshot instead of waiting for a cluster that is gone (or starting an empty one).
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  ARN,
  argvOf,
  type Call,
  DB_PASSWORD,
  deliveredUserData,
  etcdParams,
  haParams,
  SNAPSHOT_BUCKET,
  worldPerTest,
} from "./world";

const JOIN_TOKEN = `K10cafe::server:${"a".repeat(64)}`;
const FOLDER = "etcd-snapshots";
/** Two servers' scheduled snapshots, a pre-stop one, metadata and a stray object elsewhere. */
const OBJECTS: [string, string][] = [
  ["2026-11-29T05:00:02+00:00", `${FOLDER}/etcd-snapshot-ip-10-30-1-10-1764392402`],
  ["2026-11-29T07:12:40+00:00", `${FOLDER}/pre-stop-ip-10-30-1-10-1764400360`],
  ["2026-11-29T06:00:03+00:00", `${FOLDER}/etcd-snapshot-ip-10-30-2-10-1764396003`],
  ["2026-11-29T08:00:00+00:00", `${FOLDER}/.metadata/etcd-snapshot-ip-10-30-2-10-1764403200`],
  ["2026-11-29T09:00:00+00:00", "elsewhere/etcd-snapshot-newer-than-all"],
];

const world = worldPerTest();

const install = (calls: Call[]) => calls.find((c) => c.cmd === "k3s-install");
const listings = (calls: Call[]) =>
  argvOf(calls, "aws").filter((argv) => argv.includes("list-objects-v2"));

/** A formed cluster whose API is down; `nodes` are the live control-plane instances. */
function formedClusterDown() {
  world.createSecret(ARN.join, JOIN_TOKEN);
  world.createSecret(ARN.agent, `K10cafe::node:${"b".repeat(64)}`);
  world.createSecret(ARN.kubeconfig, "apiVersion: v1\n");
  world.setApi("down");
}

describe("etcd snapshots to S3", () => {
  it("every etcd server's k3s takes scheduled snapshots to the cluster's folder with the instance role", async () => {
    world.setApi(0);
    const node = world.node();
    const result = await world.run(node, deliveredUserData("server", etcdParams()));
    expect(result.code, result.stderr).toBe(0);
    const config = parse(world.read(node, "etc/rancher/k3s/config.yaml")) as Record<
      string,
      unknown
    >;
    expect(config).toMatchObject({
      "etcd-snapshot-schedule-cron": "0 * * * *",
      "etcd-snapshot-retention": 24,
      "etcd-s3": true,
      "etcd-s3-bucket": SNAPSHOT_BUCKET,
      "etcd-s3-folder": FOLDER,
      "etcd-s3-region": "eu-central-1",
      "etcd-s3-endpoint": "s3.eu-central-1.amazonaws.com",
    });
    // No key in the config: k3s' S3 client falls back to the instance role.
    expect(Object.keys(config).filter((key) => /access-key|secret-key/.test(key))).toEqual([]);
    // A snapshot whenever k3s stops, before etcd goes.
    const dropIn = world.read(node, "etc/systemd/system/k3s.service.d/k3s-bot-etcd-snapshot.conf");
    expect(dropIn).toMatch(
      /^ExecStop=-\/usr\/bin\/timeout 120 \/usr\/local\/bin\/k3s etcd-snapshot save --name pre-stop$/m,
    );
    // Joining a running cluster never looks at the snapshots.
    expect(listings(result.calls)).toEqual([]);
  });

  it("a PostgreSQL server gets neither the snapshot settings nor the stop snapshot", async () => {
    world.createSecret(ARN.db, JSON.stringify({ username: "k3s", password: DB_PASSWORD }));
    const node = world.node();
    const result = await world.run(node, deliveredUserData("server", haParams()));
    expect(result.code, result.stderr).toBe(0);
    expect(world.read(node, "etc/rancher/k3s/config.yaml")).not.toContain("etcd-s");
    expect(() =>
      world.read(node, "etc/systemd/system/k3s.service.d/k3s-bot-etcd-snapshot.conf"),
    ).toThrow();
  });
});

describe("a server that finds no cluster to join", () => {
  it("no cluster has formed: the oldest server initialises a fresh one, even with snapshots around", async () => {
    world.setApi("down");
    const node = world.node();
    const result = await world.run(node, deliveredUserData("server", etcdParams()), {
      STUB_CP_INSTANCES: world.controlPlane([node]),
      STUB_SNAPSHOTS: world.snapshots(OBJECTS),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(install(result.calls)?.env.INSTALL_K3S_EXEC).toMatch(/^server --cluster-init /);
    expect(argvOf(result.calls, "k3s")).toEqual([]);
  });

  it("the cluster formed, its API is down and no older server lives: restores the newest snapshot", async () => {
    formedClusterDown();
    const node = world.node();
    const result = await world.run(node, deliveredUserData("server", etcdParams()), {
      STUB_CP_INSTANCES: world.controlPlane([node]),
      STUB_SNAPSHOTS: world.snapshots(OBJECTS),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(listings(result.calls)[0]).toEqual(
      expect.arrayContaining(["--bucket", SNAPSHOT_BUCKET, "--prefix", `${FOLDER}/`]),
    );
    // Installed without starting, restored from the newest snapshot in the folder (not the
    // metadata, not the object outside it), then started on the restored data.
    const installed = install(result.calls);
    expect(installed?.env.INSTALL_K3S_SKIP_START).toBe("true");
    expect(installed?.env.INSTALL_K3S_EXEC).toMatch(/^server --disable traefik /);
    const [restore] = argvOf(result.calls, "k3s");
    expect(restore?.slice(0, 3)).toEqual(["server", "--disable", "traefik"]);
    expect(restore?.slice(-2)).toEqual([
      "--cluster-reset",
      "--cluster-reset-restore-path=pre-stop-ip-10-30-1-10-1764400360",
    ]);
    expect(restore).not.toContain("--cluster-init");
    expect(world.read(node, "var/lib/rancher/k3s/server/db/restored-from")).toBe(
      "pre-stop-ip-10-30-1-10-1764400360",
    );
    expect(argvOf(result.calls, "systemctl")).toContainEqual(["start", "k3s.service"]);
    // The restore decrypts the snapshot's bootstrap data with the cluster's own server token.
    expect(world.read(node, "etc/rancher/k3s/config.yaml")).toContain(`token: "${JOIN_TOKEN}"`);
    const order = result.calls
      .map((c) => (c.cmd === "systemctl" ? `systemctl ${c.argv.join(" ")}` : c.cmd))
      .filter((c) => ["k3s-install", "k3s", "systemctl start k3s.service"].includes(c));
    expect(order).toEqual(["k3s-install", "k3s", "systemctl start k3s.service"]);
  });

  it("the cluster formed and an older server still lives: waits to join, never restores", async () => {
    formedClusterDown();
    const [older, node] = [world.node(), world.node()];
    const result = await world.run(node, deliveredUserData("server", etcdParams()), {
      STUB_CP_INSTANCES: world.controlPlane([older, node]),
      STUB_SNAPSHOTS: world.snapshots(OBJECTS),
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("FATAL: no cluster to join after 5 attempts");
    expect(listings(result.calls)).toEqual([]);
    expect(argvOf(result.calls, "k3s")).toEqual([]);
    expect(install(result.calls)).toBeUndefined();
  });

  it("the cluster formed, no older server lives and no snapshot exists: never starts an empty cluster", async () => {
    formedClusterDown();
    const node = world.node();
    const result = await world.run(node, deliveredUserData("server", etcdParams()), {
      STUB_CP_INSTANCES: world.controlPlane([node]),
      STUB_SNAPSHOTS: world.snapshots([
        OBJECTS[3] as [string, string],
        OBJECTS[4] as [string, string],
      ]),
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("there is no etcd snapshot to restore from");
    expect(result.stderr).toContain("FATAL: no cluster to join after 5 attempts");
    expect(install(result.calls)).toBeUndefined();
  });

  it("a snapshot name k3s would not give is refused, not passed to k3s", async () => {
    formedClusterDown();
    const node = world.node();
    const result = await world.run(node, deliveredUserData("server", etcdParams()), {
      STUB_CP_INSTANCES: world.controlPlane([node]),
      STUB_SNAPSHOTS: world.snapshots([["2026-11-29T05:00:02+00:00", `${FOLDER}/--etcd-s3=false`]]),
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `FATAL: cannot list the etcd snapshots in s3://${SNAPSHOT_BUCKET}/${FOLDER}/`,
    );
    expect(argvOf(result.calls, "k3s")).toEqual([]);
  });

  it("a restore that fails stops the bootstrap before k3s starts on half-restored data", async () => {
    formedClusterDown();
    const node = world.node();
    const result = await world.run(node, deliveredUserData("server", etcdParams()), {
      STUB_CP_INSTANCES: world.controlPlane([node]),
      STUB_SNAPSHOTS: world.snapshots(OBJECTS),
      STUB_RESTORE_EXIT: "1",
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      "FATAL: k3s could not restore etcd snapshot pre-stop-ip-10-30-1-10-1764400360",
    );
    expect(argvOf(result.calls, "systemctl")).not.toContainEqual(["start", "k3s.service"]);
  });
});
