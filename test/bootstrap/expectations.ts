/**
 * What the bootstrap script tests share: the secrets' values and versions the fake world hands
 * out, a world with the cluster's secrets created, and assertions on the recorded commands.
 */
import { expect } from "vitest";
import { API_DNS, argvOf, type Call, DB_PASSWORD } from "./world";

export const DB_SECRET = JSON.stringify({ username: "k3sadmin", password: DB_PASSWORD });
export const JOIN_VERSION = "k3s-bot-join-token-initial-version-0001";
export const SECURE_VERSION = "k3s-bot-join-token-secure-version-0002";
export const AGENT_VERSION = "k3s-bot-agent-token-initial-version-0001";
export const AGENT_SECURE_VERSION = "k3s-bot-agent-token-secure-version-0002";
export const API_URL = `https://${API_DNS}:6443`;

/** Index of the first call matching, to assert order. */
export function indexOf(calls: Call[], match: (c: Call) => boolean): number {
  const i = calls.findIndex(match);
  expect(i, "expected call not found").toBeGreaterThanOrEqual(0);
  return i;
}

export function installerCall(calls: Call[]): Call {
  const installs = calls.filter((c) => c.cmd === "k3s-install");
  expect(installs).toHaveLength(1);
  return installs[0] as Call;
}

export function expectNoSecretInCalls(calls: Call[], secrets: string[]): void {
  for (const call of calls) {
    for (const secret of secrets) {
      expect(call.argv.join(" "), `${call.cmd} argv`).not.toContain(secret);
      expect(JSON.stringify(call.env), `${call.cmd} environment`).not.toContain(secret);
    }
  }
}

/** Every IMDS read uses IMDSv2: a token PUT, then a GET carrying the token header. */
export function expectImdsV2Only(calls: Call[]): void {
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
