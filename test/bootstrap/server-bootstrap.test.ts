import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  AGENT_SECURE_VERSION,
  AGENT_VERSION,
  API_URL,
  DB_SECRET,
  expectImdsV2Only,
  expectNoSecretInCalls,
  indexOf,
  installerCall,
  JOIN_VERSION,
  SECURE_VERSION,
} from "./expectations";
import {
  API_DNS,
  ARN,
  argvOf,
  DB_PASSWORD,
  deliveredUserData,
  type FakeNode,
  haParams,
  RDS_CA_BUNDLE_URL,
  worldPerTest,
} from "./world";

const world = worldPerTest();

/** The value a server passes to k3s as `agent-token` in its config file. */
function agentTokenIn(config: string): string | undefined {
  return /^agent-token: "(.*)"$/m.exec(config)?.[1];
}

function etcdParams() {
  return haParams({ datastore: { engine: "etcd" } });
}

describe("first server (PostgreSQL datastore)", () => {
  it("creates the join token and a separate agent token, builds the datastore endpoint at boot, installs k3s with the exact flags and publishes the kubeconfig", async () => {
    world.createSecret(ARN.db, DB_SECRET);
    const node = world.node();
    const userData = deliveredUserData("server", haParams());
    const result = await world.run(node, userData);
    expect(result.stderr).toContain("server bootstrap complete");
    expect(result.code).toBe(0);
    const { calls } = result;

    expectImdsV2Only(calls);

    // Installer: from the k3s repository at the pinned tag, then run with the pinned version.
    const download = argvOf(calls, "curl").find((a) => a.some((x) => x.includes("install.sh")));
    expect(download).toContain(
      "https://raw.githubusercontent.com/k3s-io/k3s/v1.33.5%2Bk3s1/install.sh",
    );
    expect(download).toEqual(expect.arrayContaining(["--proto", "=https"]));
    const install = installerCall(calls);
    expect(install.env.INSTALL_K3S_VERSION).toBe("v1.33.5+k3s1");
    expect(install.env.INSTALL_K3S_EXEC).toBe(
      [
        "server",
        "--disable traefik",
        "--disable servicelb",
        "--disable-cloud-controller",
        "--kubelet-arg=cloud-provider=external",
        `--kubelet-arg=provider-id=aws:///${node.az}/${node.instanceId}`,
        `--node-name ${node.hostname}`,
        `--tls-san ${API_DNS}`,
        "--cluster-cidr 10.42.0.0/16",
        "--service-cidr 10.43.0.0/16",
        "--node-taint CriticalAddonsOnly=true:NoExecute",
        "--write-kubeconfig-mode 0600",
        "--secrets-encryption",
      ].join(" "),
    );

    // Join token: written once under the fixed version id, from a file, never on a command line.
    const put = argvOf(calls, "aws").find(
      (a) => a.includes("put-secret-value") && a.includes(ARN.join) && a.includes(JOIN_VERSION),
    );
    expect(put).toBeDefined();
    expect(put?.[put.indexOf("--secret-string") + 1]).toMatch(/^file:\/\//);
    const versions = world.secretVersions(ARN.join);
    const token = versions[JOIN_VERSION] as string;
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    // ...then upgraded to the CA-pinned K10 form once k3s is up.
    expect(versions[SECURE_VERSION]).toBe(`K10cafe::server:${token}\n`);

    // Agent token: its own secret, written the same race-free way, a different random value.
    const agentPut = argvOf(calls, "aws").find(
      (a) => a.includes("put-secret-value") && a.includes(ARN.agent) && a.includes(AGENT_VERSION),
    );
    expect(agentPut?.[agentPut.indexOf("--secret-string") + 1]).toMatch(/^file:\/\//);
    const agentVersions = world.secretVersions(ARN.agent);
    const agentToken = agentVersions[AGENT_VERSION] as string;
    expect(agentToken).toMatch(/^[0-9a-f]{64}$/);
    expect(agentToken).not.toBe(token);
    // CA-pinned form for workers: same CA hash as the server token, user "node".
    expect(agentVersions[AGENT_SECURE_VERSION]).toBe(`K10cafe::node:${agentToken}\n`);
    expect(world.secretCurrent(ARN.agent)).toBe(`K10cafe::node:${agentToken}\n`);

    // Root-only config with the token and the datastore endpoint, password URL-encoded.
    const config = world.read(node, "etc/rancher/k3s/config.yaml");
    expect(world.mode(node, "etc/rancher/k3s/config.yaml")).toBe(0o600);
    expect(config).toContain(`token: "${token}"`);
    expect(agentTokenIn(config)).toBe(agentToken);
    const endpoint = /^datastore-endpoint: (".*")$/m.exec(config)?.[1];
    const url = new URL(JSON.parse(endpoint as string) as string);
    expect(url.protocol).toBe("postgres:");
    expect(decodeURIComponent(url.username)).toBe("k3sadmin");
    expect(decodeURIComponent(url.password)).toBe(DB_PASSWORD);
    expect(url.host).toBe("prod-k3s.abcdefghij.eu-central-1.rds.amazonaws.com:5432");
    expect(url.pathname).toBe("/k3s");
    // The server's certificate is verified against the RDS CA bundle of the region.
    expect(url.searchParams.get("sslmode")).toBe("verify-full");
    expect(config).toContain('datastore-cafile: "/etc/rancher/k3s/rds-ca-bundle.pem"');
    expect(world.read(node, "etc/rancher/k3s/rds-ca-bundle.pem")).toContain("BEGIN CERTIFICATE");
    const caDownload = argvOf(calls, "curl").find((a) => a.includes(RDS_CA_BUNDLE_URL));
    expect(caDownload).toEqual(expect.arrayContaining(["--proto", "=https", "--tlsv1.2"]));
    // k3s started (by the installer, through systemd) with exactly this config.
    expect(world.k3sStarts(node)).toEqual([{ started: true, config }]);
    expect(config).not.toContain(DB_PASSWORD);

    // The password and the token never appear on a command line, in an environment or in user data.
    expectNoSecretInCalls(calls, [DB_PASSWORD, encodeURIComponent(DB_PASSWORD), token, agentToken]);
    expect(userData).not.toContain(DB_PASSWORD);

    // Admin kubeconfig in Secrets Manager, pointing at the API NLB.
    const kubeconfig = world.secretCurrent(ARN.kubeconfig);
    expect(kubeconfig).toContain(`server: ${API_URL}`);
    expect(kubeconfig).not.toContain("127.0.0.1");

    // Order: token and datastore before k3s; kubeconfig after; drain timer last.
    const tokenPut = indexOf(calls, (c) => c.argv.includes(JOIN_VERSION));
    const agentTokenPut = indexOf(calls, (c) => c.argv.includes(AGENT_VERSION));
    const dbRead = indexOf(calls, (c) => c.argv.includes(ARN.db));
    const installed = indexOf(calls, (c) => c.cmd === "k3s-install");
    const kubeconfigPut = indexOf(
      calls,
      (c) => c.argv.includes("put-secret-value") && c.argv.includes(ARN.kubeconfig),
    );
    expect(tokenPut).toBeLessThan(installed);
    expect(agentTokenPut).toBeLessThan(installed);
    expect(dbRead).toBeLessThan(installed);
    expect(installed).toBeLessThan(kubeconfigPut);
    expect(argvOf(calls, "systemctl")).toEqual([
      ["daemon-reload"],
      ["enable", "--now", "k3s-bot-status.timer"],
      ["daemon-reload"],
      ["enable", "--now", "k3s-bot-drain.timer"],
      ["enable", "--now", "k3s-bot-datastore.timer"],
    ]);

    // The add-on manifests are where k3s picks them up.
    const manifests = path.join("var/lib/rancher/k3s/server/manifests");
    expect(
      world.read(node, path.join(manifests, "k3s-bot-aws-cloud-controller-manager.yaml")),
    ).toContain("kind: HelmChart");
    expect(world.read(node, path.join(manifests, "k3s-bot-aws-efs-csi-driver.yaml"))).toContain(
      'fileSystemId: "fs-0123456789abcdef0"',
    );
  });

  it("fails clearly, before installing anything, when the RDS secret is missing", async () => {
    const node = world.node();
    const result = await world.run(node, deliveredUserData("server", haParams()));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`FATAL: cannot read the RDS master user secret ${ARN.db}`);
    expect(result.stderr).toContain("ResourceNotFoundException");
    expect(result.calls.some((c) => c.cmd === "k3s-install")).toBe(false);
  });

  it("fails clearly when the RDS secret is not JSON with username and password", async () => {
    world.createSecret(ARN.db, "not json");
    const node = world.node();
    const result = await world.run(node, deliveredUserData("server", haParams()));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("is not JSON with username and password");
    expect(result.calls.some((c) => c.cmd === "k3s-install")).toBe(false);
  });

  it("fails clearly, before installing anything, when the agent token secret does not exist", async () => {
    world.createSecret(ARN.db, DB_SECRET);
    world.deleteSecret(ARN.agent);
    const node = world.node();
    const result = await world.run(node, deliveredUserData("server", haParams()));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`FATAL: cannot read agent token secret ${ARN.agent}`);
    expect(result.stderr).toContain("ResourceNotFoundException");
    expect(result.calls.some((c) => c.cmd === "k3s-install")).toBe(false);
  });

  it("a server booting later passes the agent token's password, not its CA-pinned form, as agent-token", async () => {
    world.createSecret(ARN.db, DB_SECRET);
    world.createSecret(ARN.join, "K10cafe::server:0123456789abcdef");
    world.createSecret(ARN.agent, "K10cafe::node:fedcba9876543210");
    world.createSecret(ARN.kubeconfig, "apiVersion: v1\n");
    const node = world.node();
    const result = await world.run(node, deliveredUserData("server", haParams()));
    expect(result.code, result.stderr).toBe(0);
    const config = world.read(node, "etc/rancher/k3s/config.yaml");
    expect(config).toContain('token: "K10cafe::server:0123456789abcdef"');
    expect(agentTokenIn(config)).toBe("fedcba9876543210");
    // Nothing written: the tokens exist and this server did not create them.
    expect(argvOf(result.calls, "aws").filter((a) => a.includes("put-secret-value"))).toEqual([]);
  });
});

describe("three servers booting at the same moment (embedded etcd)", () => {
  it("lets exactly one join token and one agent token win; the oldest server runs --cluster-init, the others join through the NLB, all with the same tokens", async () => {
    const nodes = [world.node(), world.node(), world.node()];
    const userData = deliveredUserData("server", etcdParams());
    // The API answers only once a server runs k3s; node2 launched first.
    world.setApi("down");
    const instances = world.controlPlane([nodes[1], nodes[0], nodes[2]] as FakeNode[]);
    // All three read the empty secret before anyone writes: a real race on put-secret-value.
    const env = {
      STUB_BARRIER_ARN: `${ARN.join} ${ARN.agent}`,
      STUB_BARRIER_N: "3",
      STUB_CP_INSTANCES: instances,
      K3S_BOT_WAIT_ATTEMPTS: "400",
      K3S_BOT_WAIT_SECONDS: "0.05",
    };
    const results = await Promise.all(nodes.map((node) => world.run(node, userData, env)));
    for (const r of results) expect(r.code, r.stderr).toBe(0);

    const winnerToken = world.secretVersions(ARN.join)[JOIN_VERSION] as string;
    const puts = results.map(
      (r) =>
        argvOf(r.calls, "aws").filter(
          (a) => a.includes("put-secret-value") && a.includes(JOIN_VERSION),
        ).length,
    );
    expect(puts).toEqual([1, 1, 1]);
    const winnerAgentToken = world.secretVersions(ARN.agent)[AGENT_VERSION] as string;
    expect(winnerAgentToken).toMatch(/^[0-9a-f]{64}$/);
    expect(winnerAgentToken).not.toBe(winnerToken);
    const agentPuts = results.map(
      (r) =>
        argvOf(r.calls, "aws").filter(
          (a) => a.includes("put-secret-value") && a.includes(AGENT_VERSION),
        ).length,
    );
    expect(agentPuts).toEqual([1, 1, 1]);

    const execs = results.map((r) => installerCall(r.calls).env.INSTALL_K3S_EXEC as string);
    const initialisers = execs.filter((e) =>
      e.startsWith("server --cluster-init --disable traefik"),
    );
    const joiners = execs.filter((e) =>
      e.startsWith(`server --server ${API_URL} --disable traefik`),
    );
    expect(initialisers).toHaveLength(1);
    expect(joiners).toHaveLength(2);
    expect(installerCall(results[1]?.calls ?? []).env.INSTALL_K3S_EXEC).toMatch(
      /^server --cluster-init /,
    );

    // Everyone uses the winner's token (joiners may already see its CA-pinned K10 form).
    for (const node of nodes) {
      const config = world.read(node, "etc/rancher/k3s/config.yaml");
      const token = /^token: "(.*)"$/m.exec(config)?.[1];
      expect(token?.replace(/^K10[^:]*::server:/, "").trim()).toBe(winnerToken);
      expect(agentTokenIn(config)).toBe(winnerAgentToken);
    }
    // The CA-pinned agent token is the winning one.
    expect(world.secretCurrent(ARN.agent)).toBe(`K10cafe::node:${winnerAgentToken}\n`);
    // The kubeconfig is published (by whichever server found the secret empty).
    expect(world.secretCurrent(ARN.kubeconfig)).toContain(`server: ${API_URL}`);
    for (const r of results) expectNoSecretInCalls(r.calls, [winnerToken, winnerAgentToken]);
  });
});
