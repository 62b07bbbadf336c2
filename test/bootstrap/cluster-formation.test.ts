/**
 * The server that won the join-token race dies right after writing the token: the other servers
 * must still form the cluster (embedded etcd) and finish its duties (admin kubeconfig, CA-pinned
 * tokens). The real user data and scripts against the stub world (world.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { API_DNS, ARN, argvOf, type Call, deliveredUserData, FakeWorld, haParams } from "./world";

const API_URL = `https://${API_DNS}:6443`;
const DEAD_JOIN_TOKEN = "a".repeat(64);
const DEAD_AGENT_TOKEN = "b".repeat(64);
/** Waits long enough for concurrent servers, short enough for a test. */
const PATIENT = { K3S_BOT_WAIT_ATTEMPTS: "400", K3S_BOT_WAIT_SECONDS: "0.05" };

let world: FakeWorld;
beforeEach(() => {
  world = new FakeWorld();
  // What the dead server left: both tokens in their plain form, no kubeconfig.
  world.createSecret(ARN.join, DEAD_JOIN_TOKEN);
  world.createSecret(ARN.agent, DEAD_AGENT_TOKEN);
  world.createSecret(ARN.kubeconfig);
});
afterEach(() => world.cleanup());

const installExec = (calls: Call[]) =>
  calls.find((c) => c.cmd === "k3s-install")?.env.INSTALL_K3S_EXEC ?? "";

function expectDutiesDone(): void {
  expect(world.secretCurrent(ARN.kubeconfig)).toContain(`server: ${API_URL}`);
  expect(world.secretCurrent(ARN.join)).toBe(`K10cafe::server:${DEAD_JOIN_TOKEN}\n`);
  expect(world.secretCurrent(ARN.agent)).toBe(`K10cafe::node:${DEAD_AGENT_TOKEN}\n`);
}

describe("the server that wrote the join token dies (embedded etcd)", () => {
  it("the next oldest server initialises etcd once the dead one is gone, the other joins, and the duties get done", async () => {
    const userData = deliveredUserData("server", haParams({ datastore: { engine: "etcd" } }));
    world.setApi("down");
    const dead = world.node();
    const [older, younger] = [world.node(), world.node()];
    // EC2 still lists the dead server for a while, then it drops out of `running`.
    const env = {
      STUB_CP_INSTANCES: world.controlPlane([dead, older, younger]),
      STUB_CP_DIES: `${dead.instanceId} 6`,
      ...PATIENT,
    };
    const [first, second] = await Promise.all([
      world.run(older, userData, env),
      world.run(younger, userData, env),
    ]);
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    expect(first.stderr).toContain(`waiting for ${dead.instanceId} to initialise etcd`);
    expect(installExec(first.calls)).toMatch(/^server --cluster-init /);
    expect(installExec(second.calls)).toMatch(new RegExp(`^server --server ${API_URL} `));
    expectDutiesDone();
    // Nobody wrote a token of their own: the dead server's are the cluster's.
    for (const node of [older, younger]) {
      expect(world.read(node, "etc/rancher/k3s/config.yaml")).toMatch(
        new RegExp(`^token: "(K10cafe::server:)?${DEAD_JOIN_TOKEN}\\s*"$`, "m"),
      );
    }
  });

  it("never runs --cluster-init once the cluster has formed, even as the oldest server with the API down", async () => {
    world.createSecret(ARN.join, `K10cafe::server:${DEAD_JOIN_TOKEN}`);
    world.setApi("down");
    const node = world.node();
    const result = await world.run(
      node,
      deliveredUserData("server", haParams({ datastore: { engine: "etcd" } })),
      { STUB_CP_INSTANCES: world.controlPlane([node]) },
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("the cluster has formed but its API does not answer yet");
    expect(result.stderr).toContain("FATAL: no cluster to join after 5 attempts");
    expect(result.calls.some((c) => c.cmd === "k3s-install")).toBe(false);
  });
});

describe("the server that wrote the join token dies (PostgreSQL)", () => {
  it("the next server publishes the kubeconfig and the CA-pinned tokens", async () => {
    world.createSecret(ARN.db, JSON.stringify({ username: "k3s", password: "pw" }));
    const node = world.node();
    const result = await world.run(node, deliveredUserData("server", haParams()));
    expect(result.code, result.stderr).toBe(0);
    expect(installExec(result.calls)).toMatch(/^server --disable traefik /);
    expectDutiesDone();
  });

  it("a server that finds the kubeconfig published leaves it alone", async () => {
    world.createSecret(ARN.db, JSON.stringify({ username: "k3s", password: "pw" }));
    world.createSecret(ARN.kubeconfig, "apiVersion: v1\n");
    const node = world.node();
    const result = await world.run(node, deliveredUserData("server", haParams()));
    expect(result.code, result.stderr).toBe(0);
    const kubeconfigPuts = argvOf(result.calls, "aws").filter(
      (a) => a.includes("put-secret-value") && a.includes(ARN.kubeconfig),
    );
    expect(kubeconfigPuts).toEqual([]);
  });
});
