/**
 * Start-up checks (app/preflight.ts): each missing piece is named with its fix, table-driven over
 * fake probes; and the real probe of this machine's Terraform, which the suite needs anyway.
 */
import { describe, expect, it } from "vitest";
import {
  AWS_PROVIDER_VERSION,
  type CheckResult,
  machineProbes,
  type PreflightProbes,
  preflight,
  reportPreflight,
  versionAtLeast,
} from "../../app/preflight";
import { missingPrerequisites } from "../../scripts/prerequisites.mjs";

const healthy: PreflightProbes = {
  terraformVersion: async () => "1.11.4",
  callerIdentity: async () => ({
    account: "123456789012",
    arn: "arn:aws:iam::123456789012:role/k3s-bot",
  }),
  exists: () => true,
};

const cases: {
  name: string;
  env?: Record<string, string>;
  probes?: Partial<PreflightProbes>;
  check: string;
  status: CheckResult["status"];
  message: RegExp;
}[] = [
  { name: "all present", check: "terraform", status: "ok", message: /Terraform 1\.11\.4/ },
  {
    name: "no terraform",
    probes: { terraformVersion: async () => "unknown" },
    check: "terraform",
    status: "fail",
    message: /did not run: install Terraform 1\.11\.0 or newer.*K3S_BOT_TERRAFORM/,
  },
  {
    name: "terraform too old",
    probes: { terraformVersion: async () => "1.10.5" },
    check: "terraform",
    status: "fail",
    message: /1\.10\.5 is too old: .*use_lockfile/,
  },
  {
    name: "no provider in the mirror",
    probes: { exists: () => false },
    check: "aws provider",
    status: "warn",
    message: new RegExp(
      `no AWS provider ${AWS_PROVIDER_VERSION.replace(/\./g, "\\.")} under /opt/tf-plugins/registry\\.terraform\\.io/hashicorp/aws/`,
    ),
  },
  {
    name: "mirror turned off",
    env: { K3S_BOT_PROVIDER_MIRROR: "" },
    check: "aws provider",
    status: "warn",
    message: /downloads the AWS provider/,
  },
  {
    name: "provider in the mirror",
    env: { K3S_BOT_PROVIDER_MIRROR: "/srv/mirror" },
    check: "aws provider",
    status: "ok",
    message: /from the mirror \/srv\/mirror/,
  },
  {
    name: "no credentials",
    probes: {
      callerIdentity: async () => {
        throw new Error("Could not load credentials from any providers");
      },
    },
    check: "aws credentials",
    status: "fail",
    message: /Could not load credentials.*AWS_PROFILE.*docs\/iam/,
  },
  {
    name: "credentials",
    check: "aws credentials",
    status: "ok",
    message: /acting as arn:aws:iam::123456789012:role\/k3s-bot in account 123456789012/,
  },
  {
    name: "delivery table without a region",
    env: { K3S_BOT_DELIVERY_TABLE: "locks" },
    check: "aws region",
    status: "fail",
    message: /AWS_REGION is not/,
  },
];

describe("preflight", () => {
  it.each(cases)(
    "$name: $check is $status",
    async ({ env = {}, probes = {}, check, status, message }) => {
      const results = await preflight(env, { ...healthy, ...probes });
      const result = results.find((r) => r.check === check);
      expect(result?.status).toBe(status);
      expect(result?.message).toMatch(message);
    },
  );

  it("logs one line per check and says commands will fail when one failed", () => {
    const lines: string[] = [];
    const log = {
      info: (m: string) => lines.push(`info ${m}`),
      warn: (m: string) => lines.push(`warn ${m}`),
      error: (m: string) => lines.push(`error ${m}`),
    };
    const ok = reportPreflight(
      [
        { check: "terraform", status: "ok", message: "Terraform 1.11.4" },
        { check: "aws credentials", status: "fail", message: "none" },
      ],
      log,
    );
    expect(ok).toBe(false);
    expect(lines).toEqual([
      "info start-up check, terraform: Terraform 1.11.4",
      "error start-up check, aws credentials: none",
      "error k3s-bot cannot plan or apply until aws credentials is fixed (above); commands will fail until then",
    ]);
  });

  it("compares versions by number, not as text", () => {
    expect(versionAtLeast("1.11.4", "1.11.0")).toBe(true);
    expect(versionAtLeast("1.9.8", "1.11.0")).toBe(false);
    expect(versionAtLeast("2.0.0", "1.11.0")).toBe(true);
    expect(versionAtLeast("1.11", "1.11.0")).toBe(true);
  });

  it("reads this machine's Terraform through the real probe", async () => {
    const version = await machineProbes({}).terraformVersion();
    expect(versionAtLeast(version, "1.11.0"), version).toBe(true);
  });

  // The demo's own check (scripts/prerequisites.mjs), which runs `terraform version` too.
  it("finds no demo prerequisite missing on this machine, where the tests run Terraform", () => {
    expect(missingPrerequisites()).toEqual([]);
  });
});
