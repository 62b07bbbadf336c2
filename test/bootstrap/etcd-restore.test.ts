/**
 * The server-side steps of `k3s-bot restore` (infra/bootstrap/scripts/etcd-restore.sh), run
 * with bash on servers that the real user data bootstrapped in the stub world (world.ts): the
 * first server (--cluster-init) and a joining one (--server), then each step as SSM would run
 * it: `/opt/k3s-bot/etcd-restore.sh <step>` as root.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  ARN,
  argvOf,
  type Call,
  DB_PASSWORD,
  deliveredUserData,
  etcdParams,
  type FakeNode,
  haParams,
  SNAPSHOT_BUCKET,
  worldPerTest,
} from "./world";

const SNAPSHOT = "etcd-snapshot-ip-10-30-1-10-1764392402";
const DB = "var/lib/rancher/k3s/server/db";

const world = worldPerTest();

/** A server bootstrapped by the real user data: the first one, or one that joined. */
async function server(kind: "first" | "joining"): Promise<FakeNode> {
  const node = world.node();
  world.setApi(kind === "first" ? "down" : 0);
  const env =
    kind === "first"
      ? { STUB_CP_INSTANCES: world.controlPlane([node]) }
      : ({} as Record<string, string>);
  const booted = await world.run(node, deliveredUserData("server", etcdParams()), env);
  expect(booted.code, booted.stderr).toBe(0);
  // Only the restore's own calls from here on.
  fs.writeFileSync(node.log, "");
  return node;
}

function step(node: FakeNode, args: string[], env: Record<string, string> = {}) {
  return world.exec(
    node,
    ["bash", path.join(node.root, "opt/k3s-bot/etcd-restore.sh"), ...args],
    env,
  );
}

const active = (node: FakeNode) => fs.existsSync(path.join(world.dir, node.name, "k3s-active"));
const systemctl = (calls: Call[]) => argvOf(calls, "systemctl");

describe("etcd-restore.sh on a server", () => {
  it("ships with the etcd servers' bootstrap, executable, and records the flags k3s runs with", async () => {
    const first = await server("first");
    expect(world.mode(first, "opt/k3s-bot/etcd-restore.sh")).toBe(0o755);
    const args = world.read(first, "etc/k3s-bot/k3s-server-args").trimEnd().split("\n");
    expect(args.slice(0, 2)).toEqual(["server", "--cluster-init"]);
    expect(args).toContain("--secrets-encryption");
    expect(world.mode(first, "etc/k3s-bot/k3s-server-args")).toBe(0o600);
    const joining = await server("joining");
    expect(world.read(joining, "etc/k3s-bot/k3s-server-args")).toMatch(
      /^server\n--server\nhttps:\/\//,
    );
  });

  it("check is read-only and says which server restores and which rejoin, and where the snapshots are", async () => {
    const [first, joining] = [await server("first"), await server("joining")];
    const one = await step(first, ["check"]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toBe(`role=first\nbucket=${SNAPSHOT_BUCKET}\nfolder=etcd-snapshots\n`);
    const two = await step(joining, ["check"]);
    expect(two.stdout).toContain("role=joining\n");
    for (const result of [one, two]) {
      expect(systemctl(result.calls)).toEqual([]);
      expect(argvOf(result.calls, "k3s")).toEqual([]);
    }
    expect(active(first) && active(joining)).toBe(true);
  });

  it("check refuses a PostgreSQL server", async () => {
    world.createSecret(ARN.db, JSON.stringify({ username: "k3s", password: DB_PASSWORD }));
    const node = world.node();
    const booted = await world.run(node, deliveredUserData("server", haParams()));
    expect(booted.code, booted.stderr).toBe(0);
    // The script is not shipped there; run the repository's copy against that server's params.
    expect(fs.existsSync(path.join(node.root, "opt/k3s-bot/etcd-restore.sh"))).toBe(false);
    fs.copyFileSync(
      new URL("../../infra/bootstrap/scripts/etcd-restore.sh", import.meta.url),
      path.join(node.root, "opt/k3s-bot/etcd-restore.sh"),
    );
    const result = await step(node, ["check"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("datastore is 'postgres', not embedded etcd");
  });

  it("stop stops k3s through systemd, so the stop snapshot is taken", async () => {
    const node = await server("joining");
    const result = await step(node, ["stop"]);
    expect(result.code, result.stderr).toBe(0);
    expect(systemctl(result.calls)).toContainEqual(["stop", "k3s.service"]);
    expect(active(node)).toBe(false);
  });

  it("a stop that fails is reported, not taken for stopped", async () => {
    const node = await server("joining");
    const result = await step(node, ["stop"], { STUB_STOP_EXIT: "1" });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("FATAL: systemd could not stop k3s");
  });

  it("reset restores the named snapshot with the server's own flags, then starts k3s and waits until ready", async () => {
    const node = await server("first");
    await step(node, ["stop"]);
    fs.writeFileSync(node.log, "");
    const result = await step(node, ["reset", SNAPSHOT]);
    expect(result.code, result.stderr).toBe(0);
    const recorded = world.read(node, "etc/k3s-bot/k3s-server-args").trimEnd().split("\n");
    expect(argvOf(result.calls, "k3s")).toEqual([
      [...recorded, "--cluster-reset", `--cluster-reset-restore-path=${SNAPSHOT}`],
    ]);
    expect(world.read(node, `${DB}/restored-from`)).toBe(SNAPSHOT);
    // Started without waiting on systemd (the unit has no start timeout), then /readyz.
    const order = result.calls
      .map((c) => `${c.cmd} ${c.argv.join(" ")}`)
      .filter((c) => /^(k3s server|systemctl start|kubectl get --raw)/.test(c));
    expect(order[0]).toMatch(/^k3s server /);
    expect(order[1]).toBe("systemctl start --no-block k3s.service");
    expect(order[2]).toBe("kubectl get --raw /readyz");
    expect(active(node)).toBe(true);
    expect(world.read(node, "var/log/k3s-bot-etcd-restore.log")).toContain(
      "Managed etcd cluster membership has been reset",
    );
  });

  it("reset on a server that joined through --server restores without joining anything", async () => {
    const node = await server("joining");
    await step(node, ["stop"]);
    fs.writeFileSync(node.log, "");
    const result = await step(node, ["reset", SNAPSHOT]);
    expect(result.code, result.stderr).toBe(0);
    const recorded = world.read(node, "etc/k3s-bot/k3s-server-args").trimEnd().split("\n");
    const at = recorded.indexOf("--server");
    expect(at).toBeGreaterThan(0);
    const [reset] = argvOf(result.calls, "k3s");
    expect(reset).toEqual([
      ...recorded.filter((_, i) => i !== at && i !== at + 1),
      "--cluster-reset",
      `--cluster-reset-restore-path=${SNAPSHOT}`,
    ]);
    expect(reset?.join(" ")).not.toContain(":6443");
    expect(active(node)).toBe(true);
  });

  it("reset refuses while k3s runs on the server", async () => {
    const node = await server("first");
    const result = await step(node, ["reset", SNAPSHOT]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("k3s is running on this server: stop it on every server first");
    expect(argvOf(result.calls, "k3s")).toEqual([]);
  });

  it("reset refuses a name k3s would not give before it reaches a command line", async () => {
    const node = await server("first");
    await step(node, ["stop"]);
    for (const name of ["--etcd-s3=false", "../../etc/shadow", "a b", ""]) {
      const result = await step(node, ["reset", name]);
      expect(result.code, name).not.toBe(0);
      expect(result.stderr).toContain("not a snapshot name");
      expect(argvOf(result.calls, "k3s")).toEqual([]);
    }
  });

  it("a reset that fails shows k3s' last lines and leaves k3s stopped", async () => {
    const node = await server("first");
    await step(node, ["stop"]);
    fs.writeFileSync(node.log, "");
    const result = await step(node, ["reset", SNAPSHOT], { STUB_RESTORE_EXIT: "1" });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("The specified key does not exist.");
    expect(result.stderr).toContain(
      `FATAL: k3s could not restore etcd snapshot ${SNAPSHOT}; k3s is stopped on this server`,
    );
    expect(systemctl(result.calls).filter((argv) => argv.includes("start"))).toEqual([]);
    expect(active(node)).toBe(false);
  });

  it("a server that never gets ready fails the step within the bound", async () => {
    const node = await server("first");
    await step(node, ["stop"]);
    const result = await step(node, ["reset", SNAPSHOT], { STUB_NOT_READY: "yes" });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("its API server was not ready after 5 attempts");
  });

  it("rejoin moves the database aside and starts k3s to join through --server", async () => {
    const node = await server("joining");
    fs.mkdirSync(path.join(node.root, DB, "etcd/member/wal"), { recursive: true });
    fs.writeFileSync(path.join(node.root, DB, "etcd/name"), "old-member");
    await step(node, ["stop"]);
    fs.writeFileSync(node.log, "");
    const result = await step(node, ["rejoin"]);
    expect(result.code, result.stderr).toBe(0);
    expect(fs.existsSync(path.join(node.root, DB))).toBe(false);
    expect(world.read(node, `${DB}.before-restore/etcd/name`)).toBe("old-member");
    expect(systemctl(result.calls)).toContainEqual(["start", "--no-block", "k3s.service"]);
    expect(active(node)).toBe(true);
  });

  it("rejoin refuses on a server without --server: it would start a new, empty cluster", async () => {
    const node = await server("first");
    fs.mkdirSync(path.join(node.root, DB, "etcd"), { recursive: true });
    await step(node, ["stop"]);
    const result = await step(node, ["rejoin"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      "it would start a new, empty cluster; restore on this server instead",
    );
    expect(fs.existsSync(path.join(node.root, DB, "etcd"))).toBe(true);
    expect(active(node)).toBe(false);
  });

  it("rejoin refuses while k3s runs", async () => {
    const node = await server("joining");
    fs.mkdirSync(path.join(node.root, DB, "etcd"), { recursive: true });
    const result = await step(node, ["rejoin"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("k3s is running on this server: stop it first");
    expect(fs.existsSync(path.join(node.root, DB, "etcd"))).toBe(true);
  });

  it("a server bootstrapped before the flags were recorded is refused with what to do", async () => {
    const node = await server("joining");
    fs.rmSync(path.join(node.root, "etc/k3s-bot/k3s-server-args"));
    const result = await step(node, ["check"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("bootstrapped by an older k3s-bot; replace it");
  });
});
