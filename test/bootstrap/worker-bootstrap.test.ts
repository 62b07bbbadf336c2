import { describe, expect, it } from "vitest";
import {
  API_URL,
  expectImdsV2Only,
  expectNoSecretInCalls,
  indexOf,
  installerCall,
} from "./expectations";
import { ARN, argvOf, deliveredUserData, haParams, worldPerTest } from "./world";

const world = worldPerTest();

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
    world.deleteSecret(ARN.agent);
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
