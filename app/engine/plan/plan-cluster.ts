/**
 * One cluster, definition to saved plan: synth → terraform init → plan -out → show.
 * Knows nothing of GitHub: the CLI, the bot and the Action all call this and present the result.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ClusterConfig } from "../../../infra/definition/config";
import type { StackOptions } from "../../../infra/stack";
import { countResources, synthesizeCluster } from "../../../infra/synth";
import { TerraformRunner, type TerraformRunnerOptions } from "../terraform/runner";
import { type PlanContext, renderPlanMarkdown } from "./markdown";
import { type PlanSummary, summarizePlan } from "./summary";

export interface PlanClusterInput {
  config: ClusterConfig;
  /** Working directory for this cluster; created if missing, reused between plans. */
  workDir: string;
  stackOptions?: StackOptions;
  /** Adjusts the constructed stack before synthesis (emulator workarounds). */
  customize?: Parameters<typeof synthesizeCluster>[2];
  runner?: TerraformRunnerOptions;
  /** Shown in the Markdown (account, commit, file). */
  context?: Partial<PlanContext>;
  /** Also check the configuration with `terraform validate` before planning. */
  validate?: boolean;
  /** Extra `terraform plan` arguments chosen by the engine (e.g. `-destroy`), never by users. */
  planArgs?: string[];
}

export interface PlanTimings {
  synthMs: number;
  initMs: number;
  validateMs?: number;
  planMs: number;
  showMs: number;
}

export interface PlanClusterResult {
  summary: PlanSummary;
  planFile: string;
  planText: string;
  markdown: string;
  resourceCount: number;
  timings: PlanTimings;
  runner: TerraformRunner;
}

export const SYNTH_FILE = "cdk.tf.json";
export const PLAN_FILE = "k3s.tfplan";

/** Writes the synthesized JSON only when it changed, so an unchanged stack keeps its mtime. */
function writeIfChanged(path: string, content: string): void {
  try {
    if (readFileSync(path, "utf8") === content) return;
  } catch {
    // Not there yet.
  }
  writeFileSync(path, content);
}

export async function planCluster(input: PlanClusterInput): Promise<PlanClusterResult> {
  const { config, workDir } = input;
  mkdirSync(workDir, { recursive: true });

  let started = Date.now();
  const json = synthesizeCluster(config, input.stackOptions, input.customize);
  writeIfChanged(join(workDir, SYNTH_FILE), `${JSON.stringify(json, null, 2)}\n`);
  const synthMs = Date.now() - started;

  const runner = new TerraformRunner(workDir, input.runner);
  const init = await runner.init();
  let validateMs: number | undefined;
  if (input.validate) validateMs = (await runner.validate()).durationMs;
  const plan = await runner.plan(PLAN_FILE, input.planArgs);

  started = Date.now();
  const summary = summarizePlan(await runner.showJson(PLAN_FILE));
  const planText = await runner.showText(PLAN_FILE);
  const showMs = Date.now() - started;

  const context: PlanContext = { cluster: config.name, region: config.region, ...input.context };
  return {
    summary,
    planFile: join(workDir, PLAN_FILE),
    planText,
    markdown: renderPlanMarkdown(context, summary, planText),
    resourceCount: countResources(json),
    timings: {
      synthMs,
      initMs: init.durationMs,
      ...(validateMs !== undefined ? { validateMs } : {}),
      planMs: plan.run.durationMs,
      showMs,
    },
    runner,
  };
}
