/**
 * The PostgreSQL datastore on a server across an RDS-managed password rotation, and its TLS
 * verification: the real user data and scripts against the stub world (world.ts).
 */
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ARN,
  argvOf,
  DB_PASSWORD,
  deliveredUserData,
  type FakeWorld,
  haParams,
  worldWithSecrets,
} from "./world";

const secret = (password: string) => JSON.stringify({ username: "k3sadmin", password });
const ROTATED = "n3w/p@ss%word";

let world: FakeWorld;
beforeEach(() => {
  world = worldWithSecrets();
  world.createSecret(ARN.db, secret(DB_PASSWORD));
});
afterEach(() => world.cleanup());

/** The password in the datastore-endpoint of a config file. */
function passwordIn(config: string | undefined): string {
  const line = /^datastore-endpoint: (".*")$/m.exec(config ?? "")?.[1];
  if (!line) throw new Error("no datastore-endpoint in the config");
  return decodeURIComponent(new URL(JSON.parse(line) as string).password);
}

async function bootedServer() {
  const node = world.node();
  const boot = await world.run(node, deliveredUserData("server", haParams()));
  expect(boot.code, boot.stderr).toBe(0);
  expect(world.k3sStarts(node).map((start) => passwordIn(start.config))).toEqual([DB_PASSWORD]);
  return node;
}

const refresh = (root: string) => [
  path.join(root, "opt/k3s-bot/datastore-config.sh"),
  "--restart-on-change",
];

describe("datastore password rotation (RDS-managed secret)", () => {
  it("a k3s restart after a rotation (reboot, failover, crash) starts with the new password", async () => {
    const node = await bootedServer();
    world.rotateSecret(ARN.db, secret(ROTATED));
    // What systemd does on a restart: the drop-in's ExecStartPre, then k3s.
    const restart = await world.exec(node, ["systemctl", "restart", "k3s.service"]);
    expect(restart.code, restart.stderr).toBe(0);
    const starts = world.k3sStarts(node);
    expect(starts).toHaveLength(2);
    expect(passwordIn(starts[1]?.config)).toBe(ROTATED);
    expect(world.mode(node, "etc/rancher/k3s/config.yaml")).toBe(0o600);
    // Everything else in the config is kept, once.
    const config = world.read(node, "etc/rancher/k3s/config.yaml");
    expect(config.match(/^token: /gm)).toHaveLength(1);
    expect(config.match(/^agent-token: /gm)).toHaveLength(1);
    expect(config.match(/^datastore-endpoint: /gm)).toHaveLength(1);
    expect(config.match(/^datastore-cafile: /gm)).toHaveLength(1);
  });

  it("the timer restarts a running k3s once the password changed, and only then", async () => {
    const node = await bootedServer();
    const quiet = await world.exec(node, refresh(node.root));
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(world.k3sStarts(node)).toHaveLength(1);

    world.rotateSecret(ARN.db, secret(ROTATED));
    const rotated = await world.exec(node, refresh(node.root));
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stderr).toContain("the RDS master user password changed; restarting k3s");
    const starts = world.k3sStarts(node);
    expect(starts).toHaveLength(2);
    expect(passwordIn(starts[1]?.config)).toBe(ROTATED);

    const again = await world.exec(node, refresh(node.root));
    expect(again.code, again.stderr).toBe(0);
    expect(world.k3sStarts(node)).toHaveLength(2);
    // The new password is never on a command line or in an environment.
    for (const call of [...rotated.calls, ...again.calls]) {
      expect(call.argv.join(" ")).not.toContain(ROTATED);
      expect(JSON.stringify(call.env)).not.toContain(ROTATED);
    }
  });

  it("keeps the settings k3s has when Secrets Manager cannot be read at a restart", async () => {
    const node = await bootedServer();
    world.rotateSecret(ARN.db, "not json");
    const restart = await world.exec(node, ["systemctl", "restart", "k3s.service"]);
    expect(restart.code, restart.stderr).toBe(0);
    expect(restart.stderr).toContain("keeping the datastore settings k3s has");
    expect(passwordIn(world.k3sStarts(node)[1]?.config)).toBe(DB_PASSWORD);
  });

  it("is wired into systemd: a k3s.service drop-in and an enabled timer", async () => {
    const node = await bootedServer();
    expect(world.read(node, "etc/systemd/system/k3s.service.d/k3s-bot-datastore.conf")).toContain(
      "ExecStartPre=/opt/k3s-bot/datastore-config.sh\n",
    );
    expect(world.read(node, "etc/systemd/system/k3s-bot-datastore.service")).toContain(
      "ExecStart=/opt/k3s-bot/datastore-config.sh --restart-on-change\n",
    );
    expect(world.read(node, "etc/systemd/system/k3s-bot-datastore.timer")).toMatch(
      /OnUnitActiveSec=5min/,
    );
  });
});

describe("datastore TLS", () => {
  it("fails before installing k3s when the RDS CA bundle cannot be fetched (no unverified fallback)", async () => {
    const node = world.node();
    const result = await world.run(node, deliveredUserData("server", haParams()), {
      STUB_CA_BUNDLE: "down",
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("FATAL: cannot download the RDS CA bundle");
    expect(result.calls.some((c) => c.cmd === "k3s-install")).toBe(false);
  });

  it("an embedded-etcd server fetches no RDS bundle and writes no datastore settings", async () => {
    const node = world.node();
    const result = await world.run(
      node,
      deliveredUserData("server", haParams({ datastore: { engine: "etcd" } })),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(argvOf(result.calls, "curl").some((a) => a.join(" ").includes("truststore"))).toBe(
      false,
    );
    expect(world.read(node, "etc/rancher/k3s/config.yaml")).not.toContain("datastore");
  });
});
