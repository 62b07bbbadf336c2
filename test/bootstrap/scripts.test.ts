/**
 * Runs the real bootstrap (the user data exactly as an instance receives it, and the scripts it
 * writes) with bash against stub commands and a fake IMDS / Secrets Manager / API (world.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  API_DNS,
  ARN,
  argvOf,
  type Call,
  DB_PASSWORD,
  deliveredUserData,
  type FakeNode,
  FakeWorld,
  haParams,
  RDS_CA_BUNDLE_URL,
} from "./world";

const DB_SECRET = JSON.stringify({ username: "k3sadmin", password: DB_PASSWORD });
const JOIN_VERSION = "k3s-bot-join-token-initial-version-0001";
const SECURE_VERSION = "k3s-bot-join-token-secure-version-0002";
const AGENT_VERSION = "k3s-bot-agent-token-initial-version-0001";
const AGENT_SECURE_VERSION = "k3s-bot-agent-token-secure-version-0002";
const API_URL = `https://${API_DNS}:6443`;

let world: FakeWorld;
beforeEach(() => {
  world = new FakeWorld();
  world.createSecret(ARN.join);
  world.createSecret(ARN.agent);
  world.createSecret(ARN.kubeconfig);
});

/** The value a server passes to k3s as `agent-token` in its config file. */
function agentTokenIn(config: string): string | undefined {
  return /^agent-token: "(.*)"$/m.exec(config)?.[1];
}
afterEach(() => world.cleanup());

function etcdParams() {
  return haParams({ datastore: { engine: "etcd" } });
}

/** Index of the first call matching, to assert order. */
function indexOf(calls: Call[], match: (c: Call) => boolean): number {
  const i = calls.findIndex(match);
  expect(i, "expected call not found").toBeGreaterThanOrEqual(0);
  return i;
}

function installerCall(calls: Call[]): Call {
  const installs = calls.filter((c) => c.cmd === "k3s-install");
  expect(installs).toHaveLength(1);
  return installs[0] as Call;
}

function expectNoSecretInCalls(calls: Call[], secrets: string[]): void {
  for (const call of calls) {
    for (const secret of secrets) {
      expect(call.argv.join(" "), `${call.cmd} argv`).not.toContain(secret);
      expect(JSON.stringify(call.env), `${call.cmd} environment`).not.toContain(secret);
    }
  }
}

/** Every IMDS read uses IMDSv2: a token PUT, then a GET carrying the token header. */
function expectImdsV2Only(calls: Call[]): void {
  const imds = argvOf(calls, "curl").filter((a) => a.some((x) => x.includes("169.254.169.254")));
  expect(imds.length).toBeGreaterThan(0);
  for (const argv of imds) {
    if (argv.some((x) => x.endsWith("/latest/api/token"))) {
      expect(argv).toEqual(
        expect.arrayContaining(["-X", "PUT", "X-aws-ec2-metadata-token-ttl-seconds: 300"]),
      );
    } else {
      expect(argv).toContain("X-aws-ec2-metadata-token: imds-session-token");
    }
  }
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
    fs.rmSync(path.join(world.aws, ARN.agent.replaceAll(/[^A-Za-z0-9-]/g, "_")), {
      recursive: true,
    });
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

describe("worker", () => {
  const agentExec = (node: { az: string; instanceId: string; hostname: string }) =>
    [
      "agent",
      "--kubelet-arg=cloud-provider=external",
      `--kubelet-arg=provider-id=aws:///${node.az}/${node.instanceId}`,
      `--node-name ${node.hostname}`,
    ].join(" ");

  it("reads the agent token (never the join token), waits for the API and joins through the NLB", async () => {
    world.createSecret(ARN.join, "server-token-not-for-workers");
    world.createSecret(ARN.agent, "0123456789abcdef");
    const node = world.node();
    const userData = deliveredUserData("agent", haParams());
    expect(userData).not.toContain(ARN.join);
    const result = await world.run(node, userData);
    expect(result.code, result.stderr).toBe(0);
    expectImdsV2Only(result.calls);
    const install = installerCall(result.calls);
    expect(install.env.INSTALL_K3S_EXEC).toBe(agentExec(node));
    expect(install.env.INSTALL_K3S_VERSION).toBe("v1.33.5+k3s1");
    const config = world.read(node, "etc/rancher/k3s/config.yaml");
    expect(config).toBe(`token: "0123456789abcdef"\nserver: "${API_URL}"\n`);
    expect(world.mode(node, "etc/rancher/k3s/config.yaml")).toBe(0o600);
    const ping = indexOf(result.calls, (c) => c.argv.includes(`${API_URL}/ping`));
    expect(ping).toBeLessThan(indexOf(result.calls, (c) => c.cmd === "k3s-install"));
    // Workers only read secrets, and only the agent token.
    expect(argvOf(result.calls, "aws")).toEqual([
      [
        "--region",
        "eu-central-1",
        "secretsmanager",
        "get-secret-value",
        "--secret-id",
        ARN.agent,
        "--query",
        "SecretString",
        "--output",
        "text",
      ],
    ]);
    expect(JSON.stringify(result.calls)).not.toContain(ARN.join);
    expect(config).not.toContain("server-token-not-for-workers");
    expectNoSecretInCalls(result.calls, ["0123456789abcdef"]);
  });

  it("joins with the CA-pinned agent token once the first server stored it", async () => {
    world.createSecret(ARN.agent, "K10cafe::node:0123456789abcdef");
    const node = world.node();
    const result = await world.run(node, deliveredUserData("agent", haParams()));
    expect(result.code, result.stderr).toBe(0);
    expect(world.read(node, "etc/rancher/k3s/config.yaml")).toBe(
      `token: "K10cafe::node:0123456789abcdef"\nserver: "${API_URL}"\n`,
    );
  });

  it("fails clearly, before installing anything, when the agent token secret does not exist", async () => {
    fs.rmSync(path.join(world.aws, ARN.agent.replaceAll(/[^A-Za-z0-9-]/g, "_")), {
      recursive: true,
    });
    const node = world.node();
    const result = await world.run(node, deliveredUserData("agent", haParams()));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`FATAL: cannot read agent token secret ${ARN.agent}`);
    expect(result.stderr).toContain("ResourceNotFoundException");
    expect(result.calls.some((c) => c.cmd === "k3s-install")).toBe(false);
  });

  it("installs the AWS CLI first when the image has none (Ubuntu)", async () => {
    world.withoutAwsCli();
    world.createSecret(ARN.agent, "0123456789abcdef");
    const node = world.node();
    const result = await world.run(node, deliveredUserData("agent", haParams()));
    expect(result.code, result.stderr).toBe(0);
    expect(argvOf(result.calls, "snap")).toEqual([["install", "aws-cli", "--classic"]]);
    expect(indexOf(result.calls, (c) => c.cmd === "snap")).toBeLessThan(
      indexOf(result.calls, (c) => c.cmd === "aws"),
    );
    installerCall(result.calls);
  });

  it("retries while the API is not up yet, with clear log lines, then joins", async () => {
    world.createSecret(ARN.agent, "0123456789abcdef");
    world.setApi(3);
    const node = world.node();
    const result = await world.run(node, deliveredUserData("agent", haParams()));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`API ${API_URL} not answering yet (attempt 1/5)`);
    expect(result.stderr).toContain(`API ${API_URL} not answering yet (attempt 3/5)`);
    expect(result.stderr).toContain(`API ${API_URL} answers (attempt 4/5)`);
    expect(argvOf(result.calls, "curl").filter((a) => a.includes(`${API_URL}/ping`))).toHaveLength(
      4,
    );
    installerCall(result.calls);
  });

  it("gives up with a non-zero exit after the bound when the API never answers", async () => {
    world.createSecret(ARN.agent, "0123456789abcdef");
    world.setApi("down");
    const node = world.node();
    const result = await world.run(node, deliveredUserData("agent", haParams()));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`FATAL: API ${API_URL} did not answer after 5 attempts`);
    expect(argvOf(result.calls, "curl").filter((a) => a.includes(`${API_URL}/ping`))).toHaveLength(
      5,
    );
    expect(result.calls.some((c) => c.cmd === "k3s-install")).toBe(false);
  });

  it("waits for the agent token when the servers have not created it yet, then gives up after the bound", async () => {
    world.createSecret(ARN.join, "server-token-not-for-workers");
    const node = world.node();
    const result = await world.run(node, deliveredUserData("agent", haParams()));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("agent token not created yet (attempt 1/5)");
    expect(result.stderr).toContain("FATAL: agent token still missing after 5 attempts");
    expect(result.calls.some((c) => c.cmd === "k3s-install")).toBe(false);
    expect(JSON.stringify(result.calls)).not.toContain(ARN.join);
  });
});

describe("termination hook (scale-in drain on a server)", () => {
  async function bootedServer() {
    world.createSecret(ARN.db, DB_SECRET);
    const node = world.node();
    const boot = await world.run(node, deliveredUserData("server", haParams()));
    expect(boot.code, boot.stderr).toBe(0);
    return { node, before: boot.calls.length };
  }
  const drainScript = (root: string) => path.join(root, "opt/k3s-bot/drain-on-terminate.sh");

  it("cordons, drains with the timeout, then completes the lifecycle action, in that order", async () => {
    const { node, before } = await bootedServer();
    const worker = "i-0feedfacecafe0001";
    const result = await world.exec(node, [drainScript(node.root)], {
      STUB_TERMINATING: worker,
      STUB_NODES: `ip-10-30-9-10.eu-central-1.compute.internal aws:///eu-central-1c/${worker}\nip-10-30-8-10.eu-central-1.compute.internal aws:///eu-central-1b/i-0other\n`,
    });
    expect(result.code, result.stderr).toBe(0);
    const calls = result.calls.slice(before).filter((c) => c.cmd === "aws" || c.cmd === "kubectl");
    expect(calls.map((c) => [c.cmd, ...c.argv])).toEqual([
      [
        "aws",
        "--region",
        "eu-central-1",
        "autoscaling",
        "describe-auto-scaling-groups",
        "--auto-scaling-group-names",
        "prod-workers",
        "--query",
        "AutoScalingGroups[0].Instances[?LifecycleState=='Terminating:Wait'].InstanceId",
        "--output",
        "text",
      ],
      [
        "kubectl",
        "get",
        "nodes",
        "-o",
        'jsonpath={range .items[*]}{.metadata.name}{" "}{.spec.providerID}{"\\n"}{end}',
      ],
      ["kubectl", "cordon", "ip-10-30-9-10.eu-central-1.compute.internal"],
      [
        "kubectl",
        "drain",
        "ip-10-30-9-10.eu-central-1.compute.internal",
        "--ignore-daemonsets",
        "--delete-emptydir-data",
        "--force",
        "--timeout=300s",
      ],
      [
        "aws",
        "--region",
        "eu-central-1",
        "autoscaling",
        "complete-lifecycle-action",
        "--auto-scaling-group-name",
        "prod-workers",
        "--lifecycle-hook-name",
        "prod-workers-drain",
        "--instance-id",
        worker,
        "--lifecycle-action-result",
        "CONTINUE",
      ],
    ]);
    // kubectl runs with the server's admin kubeconfig.
    for (const c of calls.filter((x) => x.cmd === "kubectl")) {
      expect(c.env.KUBECONFIG).toBe(path.join(node.root, "etc/rancher/k3s/k3s.yaml"));
    }
  });

  it("still completes the lifecycle action when the drain times out", async () => {
    const { node, before } = await bootedServer();
    const worker = "i-0feedfacecafe0002";
    const result = await world.exec(node, [drainScript(node.root)], {
      STUB_TERMINATING: worker,
      STUB_NODES: `ip-10-30-9-11.eu-central-1.compute.internal aws:///eu-central-1c/${worker}\n`,
      STUB_DRAIN_EXIT: "1",
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("did not finish within 300s; terminating anyway");
    const ops = result.calls
      .slice(before)
      .map((c) => `${c.cmd} ${c.argv[0] === "--region" ? c.argv[3] : c.argv[0]}`);
    expect(ops.slice(-3)).toEqual([
      "kubectl cordon",
      "kubectl drain",
      "aws complete-lifecycle-action",
    ]);
  });

  describe("a leaving server (instance refresh), with the control-plane hook", () => {
    async function bootedServerWithHook() {
      world.createSecret(ARN.db, DB_SECRET);
      const node = world.node();
      const params = haParams({ controlPlaneLifecycleHookName: "prod-server-drain" });
      const boot = await world.run(node, deliveredUserData("server", params));
      expect(boot.code, boot.stderr).toBe(0);
      return { node, before: boot.calls.length };
    }
    const leaving = "i-0feedfacecafe0003";
    const nodes = `ip-10-30-1-10.eu-central-1.compute.internal aws:///eu-central-1a/${leaving}\n`;
    const ops = (calls: Call[]) =>
      calls
        .filter((c) => c.cmd === "aws" || c.cmd === "kubectl")
        .map((c) => [c.cmd, ...(c.argv[0] === "--region" ? c.argv.slice(2) : c.argv)].join(" "));

    it("drains it, deletes its node (k3s removes its etcd member), then lets it go", async () => {
      const { node, before } = await bootedServerWithHook();
      const result = await world.exec(node, [drainScript(node.root)], {
        STUB_TERMINATING: "",
        STUB_TERMINATING_SERVERS: leaving,
        STUB_NODES: nodes,
      });
      expect(result.code, result.stderr).toBe(0);
      const server = "ip-10-30-1-10.eu-central-1.compute.internal";
      expect(ops(result.calls.slice(before)).slice(1)).toEqual([
        expect.stringContaining(
          "describe-auto-scaling-groups --auto-scaling-group-names prod-control-plane",
        ),
        expect.stringContaining("kubectl get nodes"),
        `kubectl cordon ${server}`,
        `kubectl drain ${server} --ignore-daemonsets --delete-emptydir-data --force --timeout=300s`,
        `kubectl delete node ${server} --timeout=300s`,
        `aws autoscaling complete-lifecycle-action --auto-scaling-group-name prod-control-plane --lifecycle-hook-name prod-server-drain --instance-id ${leaving} --lifecycle-action-result CONTINUE`,
      ]);
    });

    it("does not say the server may go while its node (and etcd member) is still there", async () => {
      const { node, before } = await bootedServerWithHook();
      const result = await world.exec(node, [drainScript(node.root)], {
        STUB_TERMINATING: "",
        STUB_TERMINATING_SERVERS: leaving,
        STUB_NODES: nodes,
        STUB_DELETE_EXIT: "1",
      });
      expect(result.code).toBe(0);
      expect(result.stderr).toContain("not completing the lifecycle action");
      expect(
        ops(result.calls.slice(before)).some((op) => op.includes("complete-lifecycle-action")),
      ).toBe(false);
    });

    it("leaves its own termination to the other servers", async () => {
      const { node, before } = await bootedServerWithHook();
      const result = await world.exec(node, [drainScript(node.root)], {
        STUB_TERMINATING: "",
        STUB_TERMINATING_SERVERS: node.instanceId,
        STUB_NODES: `ip-10-30-1-11.eu-central-1.compute.internal aws:///eu-central-1a/${node.instanceId}\n`,
      });
      expect(result.code, result.stderr).toBe(0);
      const after = ops(result.calls.slice(before));
      expect(after.filter((op) => op.startsWith("kubectl"))).toEqual([]);
      expect(after.some((op) => op.includes("complete-lifecycle-action"))).toBe(false);
    });

    it("without the hook configured, looks at the workers only", async () => {
      const { node, before } = await bootedServer();
      const result = await world.exec(node, [drainScript(node.root)], {
        STUB_TERMINATING: "",
        STUB_TERMINATING_SERVERS: leaving,
      });
      expect(result.code).toBe(0);
      expect(ops(result.calls.slice(before))).toEqual([
        expect.stringContaining("--auto-scaling-group-names prod-workers"),
      ]);
    });
  });

  it("does nothing when no worker is terminating", async () => {
    const { node, before } = await bootedServer();
    const result = await world.exec(node, [drainScript(node.root)], { STUB_TERMINATING: "" });
    expect(result.code).toBe(0);
    expect(result.calls.slice(before).map((c) => c.cmd)).toEqual(["aws"]);
  });
});
