/**
 * Every k3s flag the bootstrap passes, and every key it writes to /etc/rancher/k3s/config.yaml,
 * exists for that k3s command (infra/facts/k3s-flags.json, from k3s' pkg/cli/cmds/*.go). Taken
 * from real runs of the user data against the fake world, so a flag added on any path (first
 * server, joining etcd server, worker) is checked.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  ARN,
  type Call,
  DB_PASSWORD,
  deliveredUserData,
  etcdParams,
  type FakeNode,
  haParams,
  worldPerTest,
} from "./world";

const k3sFlags = JSON.parse(
  readFileSync(new URL("../../infra/facts/k3s-flags.json", import.meta.url), "utf8"),
) as {
  server: string[];
  agent: string[];
  etcdSnapshot: string[];
  etcdSnapshotSubcommands: string[];
};

const world = worldPerTest();

/** The command (server/agent) and the long flag names of INSTALL_K3S_EXEC. */
function execOf(calls: Call[]): { command: string; flags: string[] } {
  const install = calls.find((c) => c.cmd === "k3s-install");
  const words = String(install?.env.INSTALL_K3S_EXEC ?? "").split(/\s+/);
  const flags = words.filter((w) => w.startsWith("--")).map((w) => w.slice(2).split("=")[0] ?? "");
  return { command: words[0] ?? "", flags };
}

/** Flags and config keys the known set lacks, as "<command> --flag" / "<command> config key". */
function unknown(command: string, flags: string[], configKeys: string[]): string[] {
  const known = command === "server" ? k3sFlags.server : command === "agent" ? k3sFlags.agent : [];
  return [
    ...flags.filter((f) => !known.includes(f)).map((f) => `${command} --${f}`),
    ...configKeys.filter((k) => !known.includes(k)).map((k) => `${command} config ${k}`),
  ];
}

async function boot(
  role: "server" | "agent",
  params = haParams(),
  prepare: (node: FakeNode) => Record<string, string> = () => ({}),
) {
  const node = world.node();
  const result = await world.run(node, deliveredUserData(role, params), prepare(node));
  expect(result.code, result.stderr).toBe(0);
  const exec = execOf(result.calls);
  const command = exec.command;
  // The restore path runs `k3s server … --cluster-reset …` itself, besides the installer's unit.
  const direct = result.calls
    .filter((c) => c.cmd === "k3s")
    .flatMap((c) =>
      c.argv.filter((a) => a.startsWith("--")).map((a) => a.slice(2).split("=")[0] ?? ""),
    );
  const flags = [...exec.flags, ...direct];
  const config = parse(world.read(node, "etc/rancher/k3s/config.yaml")) as Record<string, unknown>;
  return { command, flags, configKeys: Object.keys(config) };
}

describe("k3s flags and config keys", () => {
  it("exist in k3s for every bootstrap path", async () => {
    world.createSecret(ARN.db, JSON.stringify({ username: "k3sadmin", password: DB_PASSWORD }));
    const etcd = haParams({ datastore: { engine: "etcd" } });
    const runs = [
      // The first: no API yet and the oldest control-plane instance, so --cluster-init.
      await boot("server", etcd, (node) => {
        world.setApi("down");
        return { STUB_CP_INSTANCES: world.controlPlane([node]) };
      }),
      // The API answers now: joins with --server.
      await boot("server", etcd, () => {
        world.setApi(0);
        return {};
      }),
      // Snapshots to S3; the cluster formed, its API is down and no older server lives: restore.
      await boot("server", etcdParams(), (node) => {
        world.createSecret(ARN.join, "K10cafe::server:token");
        world.setApi("down");
        return {
          STUB_CP_INSTANCES: world.controlPlane([node]),
          STUB_SNAPSHOTS: world.snapshots([["2026-11-29T05:00:00+00:00", "etcd-snapshots/s1"]]),
        };
      }),
      await boot("server"), // PostgreSQL datastore: datastore-endpoint
      await boot("agent"),
    ];
    expect(runs.map((r) => r.command)).toEqual(["server", "server", "server", "server", "agent"]);
    const used = new Set(runs.flatMap((r) => [...r.flags, ...r.configKeys]));
    // The paths above do reach the flags that differ between them.
    for (const flag of [
      "cluster-init",
      "server",
      "node-taint",
      "datastore-endpoint",
      "etcd-s3-bucket",
      "cluster-reset-restore-path",
    ]) {
      expect(used.has(flag), flag).toBe(true);
    }
    expect(runs.flatMap((r) => unknown(r.command, r.flags, r.configKeys))).toEqual([]);
  });

  it("the stop snapshot's etcd-snapshot command and flags exist", () => {
    const dropIn = readFileSync(
      new URL("../../infra/bootstrap/units/k3s-etcd-snapshot-drop-in.conf", import.meta.url),
      "utf8",
    );
    const stop = /^ExecStop=-\S+ \d+ \/usr\/local\/bin\/k3s (.*)$/m.exec(dropIn)?.[1] ?? "";
    const [command, subcommand, ...rest] = stop.split(" ");
    expect(command).toBe("etcd-snapshot");
    expect(k3sFlags.etcdSnapshotSubcommands).toContain(subcommand);
    const flags = rest.filter((w) => w.startsWith("--")).map((w) => w.slice(2));
    expect(flags).toEqual(["name"]);
    expect(flags.filter((f) => !k3sFlags.etcdSnapshot.includes(f))).toEqual([]);
  });

  it("the check names a flag k3s does not have", () => {
    expect(unknown("agent", ["node-name", "node-taints"], ["token", "agent-token"])).toEqual([
      "agent --node-taints",
      "agent config agent-token",
    ]);
  });
});
