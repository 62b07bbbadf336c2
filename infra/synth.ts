/**
 * Synthesizes a cluster's stack to Terraform JSON, in process. This is the one door between the
 * run engine and cdktf: moving to the CDK Terrain fork, or to exported HCL, touches only infra/.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import type { ClusterConfig } from "./definition/config";
import { K3sClusterStack, type StackOptions } from "./stack";

export type TerraformJson = Record<string, unknown>;

/**
 * Returns the stack as Terraform JSON. `customize` lets a caller adjust the constructed stack
 * before synthesis (the emulator demo and tests inject their narrow workarounds there).
 */
export function synthesizeCluster(
  config: ClusterConfig,
  options: StackOptions = {},
  customize?: (stack: K3sClusterStack) => void,
): TerraformJson {
  const outdir = mkdtempSync(join(tmpdir(), "k3s-bot-synth-"));
  try {
    // cdktf 0.21.0 (lib/synthesize/synthesizer.js) adds to every stack with `moved` blocks a
    // check that runs `terraform version` (>= 1.5) during synth(): a process per synthesis, and
    // `k3s-bot synth` failing where Terraform is not installed. The stack's `required_version`
    // (infra/terraform-version.ts) has Terraform check itself where it runs. Every validation the
    // constructs add still runs, here before synth(), so before any Aspect (the stack has none).
    const app = new App({ outdir, skipValidation: true });
    const stack = new K3sClusterStack(app, config.name, config, options);
    customize?.(stack);
    stack.runAllValidations();
    app.synth();
    return JSON.parse(
      readFileSync(join(outdir, "stacks", config.name, "cdk.tf.json"), "utf8"),
    ) as TerraformJson;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Counts the managed resources in synthesized JSON (data sources excluded). */
export function countResources(json: TerraformJson): number {
  const resources = (json.resource ?? {}) as Record<string, Record<string, unknown>>;
  return Object.values(resources).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
}
