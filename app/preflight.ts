/**
 * What the bot checks when it starts, before GitHub sends it any work: that Terraform runs and is
 * new enough, that the AWS provider the stack is generated for can be installed without a
 * registry, and whose AWS identity it will act as. Each check says what is wrong and how to fix
 * it, in the log, at start-up — not on the first pull request an hour later.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { MINIMUM_TERRAFORM } from "../infra/terraform-version";
import { describeError } from "./engine/cluster-runs";
import { TerraformRunner } from "./engine/terraform/runner";
import type { Environment } from "./runtime";

export { MINIMUM_TERRAFORM } from "../infra/terraform-version";
/** The AWS provider version @cdktf/provider-aws 20.1.0 generates the stack for. */
export const AWS_PROVIDER_VERSION = "5.100.0";
const DEFAULT_MIRROR = "/opt/tf-plugins";

export type CheckStatus = "ok" | "warn" | "fail";

export interface CheckResult {
  check: string;
  status: CheckStatus;
  message: string;
}

export interface PreflightProbes {
  /** `terraform version` ("1.11.4"), or "unknown" when terraform did not run. */
  terraformVersion(): Promise<string>;
  /** The AWS identity the default credential chain resolves to. */
  callerIdentity(): Promise<{ account?: string; arn?: string }>;
  exists(path: string): boolean;
}

/** Probes of the real machine and AWS. */
export function machineProbes(env: Environment): PreflightProbes {
  return {
    terraformVersion: () => new TerraformRunner(process.cwd()).terraformVersion(),
    callerIdentity: async () => {
      const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
      const identity = await new STSClient({ region }).send(new GetCallerIdentityCommand({}));
      return {
        ...(identity.Account ? { account: identity.Account } : {}),
        ...(identity.Arn ? { arn: identity.Arn } : {}),
      };
    },
    exists: existsSync,
  };
}

/** "1.11.4" ≥ "1.11.0" by numeric parts. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const parts = (v: string) => v.split(".").map((p) => Number.parseInt(p, 10) || 0);
  const [a, b] = [parts(version), parts(minimum)];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

export async function preflight(env: Environment, probes: PreflightProbes): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const binary = env.K3S_BOT_TERRAFORM || "terraform";

  const version = await probes.terraformVersion();
  if (version === "unknown") {
    results.push({
      check: "terraform",
      status: "fail",
      message: `\`${binary} version\` did not run: install Terraform ${MINIMUM_TERRAFORM} or newer on PATH (https://developer.hashicorp.com/terraform/install), or set K3S_BOT_TERRAFORM to its path`,
    });
  } else if (!versionAtLeast(version, MINIMUM_TERRAFORM)) {
    results.push({
      check: "terraform",
      status: "fail",
      message: `Terraform ${version} is too old: the S3 backend's use_lockfile needs ${MINIMUM_TERRAFORM} or newer`,
    });
  } else {
    results.push({ check: "terraform", status: "ok", message: `Terraform ${version}` });
  }

  const mirror =
    env.K3S_BOT_PROVIDER_MIRROR === undefined ? DEFAULT_MIRROR : env.K3S_BOT_PROVIDER_MIRROR;
  const providerDir = mirror
    ? join(mirror, "registry.terraform.io", "hashicorp", "aws", AWS_PROVIDER_VERSION)
    : "";
  if (mirror && probes.exists(providerDir)) {
    results.push({
      check: "aws provider",
      status: "ok",
      message: `AWS provider ${AWS_PROVIDER_VERSION} from the mirror ${mirror}`,
    });
  } else {
    results.push({
      check: "aws provider",
      status: "warn",
      message: mirror
        ? `no AWS provider ${AWS_PROVIDER_VERSION} under ${providerDir}: terraform init will download it (about 700 MB, once per cache) from the Terraform registry; the container image ships it, or set K3S_BOT_PROVIDER_MIRROR to a filesystem mirror`
        : `K3S_BOT_PROVIDER_MIRROR is empty: terraform init downloads the AWS provider ${AWS_PROVIDER_VERSION} from the Terraform registry`,
    });
  }

  try {
    const identity = await probes.callerIdentity();
    results.push({
      check: "aws credentials",
      status: "ok",
      message: `acting as ${identity.arn ?? "an unnamed identity"} in account ${identity.account ?? "unknown"}`,
    });
  } catch (error) {
    results.push({
      check: "aws credentials",
      status: "fail",
      message: `no usable AWS credentials (${describeError(error)}): give the bot a role (task or instance role), or set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; docs/iam/ has the policy it needs`,
    });
  }

  if (env.K3S_BOT_DELIVERY_TABLE && !(env.AWS_REGION ?? env.AWS_DEFAULT_REGION)) {
    results.push({
      check: "aws region",
      status: "fail",
      message: "K3S_BOT_DELIVERY_TABLE is set but AWS_REGION is not: set it to the table's region",
    });
  }
  return results;
}

/** One log line per check; true when none failed. */
export function reportPreflight(
  results: CheckResult[],
  log: { info(m: string): void; warn(m: string): void; error(m: string): void },
): boolean {
  for (const result of results) {
    const line = `start-up check, ${result.check}: ${result.message}`;
    if (result.status === "ok") log.info(line);
    else if (result.status === "warn") log.warn(line);
    else log.error(line);
  }
  const failed = results.filter((r) => r.status === "fail");
  if (failed.length > 0)
    log.error(
      `k3s-bot cannot plan or apply until ${failed.map((r) => r.check).join(", ")} ${failed.length === 1 ? "is" : "are"} fixed (above); commands will fail until then`,
    );
  return failed.length === 0;
}
