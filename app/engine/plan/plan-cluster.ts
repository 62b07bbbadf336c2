/**
 * One cluster, definition to saved plan: synth → terraform init → plan -out → summary.
 * Knows nothing of GitHub: the CLI, the bot and the Action all call this and present the result.
 *
 * What a plan costs beyond Terraform's own `init && plan` is kept near zero:
 * - synthesis is skipped when a cache holds this definition's stack (same options);
 * - `init` is skipped when the working directory was initialized for exactly this backend,
 *   these providers and this lock file (recorded after each successful init; a plan that still
 *   asks for init gets one init and one retry);
 * - the summary and the plan text come from `plan`'s own output, checked against Terraform's
 *   totals; only when that check fails does it ask `terraform show -json` and `show`.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ClusterConfig } from "../../../infra/definition/config";
import type { StackOptions } from "../../../infra/stack";
import { countResources, synthesizeCluster, type TerraformJson } from "../../../infra/synth";
import { terraformEnvironment } from "../terraform/cli-config";
import { TerraformError, TerraformRunner, type TerraformRunnerOptions } from "../terraform/runner";
import { type PlanContext, type PlanSection, renderPlanMarkdown } from "./markdown";
import { withDefinitionRisks } from "./plan-risk";
import { planTextFromStdout, summarizePlanText } from "./plan-text";
import {
  type PlannedChange,
  predictRollout,
  type RolloutPrediction,
  rolloutMarkdown,
} from "./rollout";
import { type PlanSummary, summarizePlan } from "./summary";
import { type SynthCache, synthKey } from "./synth-cache";

/** Whether a plan changes launch templates or Auto Scaling groups (what can roll nodes). */
function touchesNodes(summary: PlanSummary): boolean {
  return summary.byType.some(
    (t) =>
      (t.type === "aws_launch_template" || t.type === "aws_autoscaling_group") &&
      t.change + t.replace > 0,
  );
}

function plannedChanges(planJson: unknown): PlannedChange[] {
  const changes = (planJson as { resource_changes?: unknown } | null)?.resource_changes;
  return Array.isArray(changes) ? (changes as PlannedChange[]) : [];
}

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
  /** Synthesized stacks from earlier plans (the engine keeps one per process). */
  synthCache?: SynthCache;
  /** Sections the caller adds to the plan comment (empty ones skipped). */
  sections?: PlanSection[];
  /** "json": always summarize from `terraform show -json` (default: from the plan's text). */
  summaryFrom?: "text" | "json";
}

export interface PlanTimings {
  synthMs: number;
  /** Whether synthesis was skipped (the cache had this stack). */
  synthCached: boolean;
  initMs: number;
  /** Whether `init` was skipped (the directory was initialized for exactly this). */
  initReused: boolean;
  /** Where the summary came from: the plan's own text, or `terraform show -json`. */
  summaryFrom: "text" | "json";
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
  /** Node groups the apply will roll, when the plan changes launch templates or groups. */
  rollout?: RolloutPrediction;
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

/** Where a working directory records what it was initialized for. */
const INIT_RECORD = join(".terraform", "k3s-bot-init.sha256");
const LOCK_FILE = ".terraform.lock.hcl";

const sha256 = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

/**
 * Everything `terraform init` depends on: the `terraform` block (backend and its settings,
 * required providers and versions), the providers and modules used, the binary, the CLI config
 * (provider sources) and the environment given to Terraform.
 */
function initInputs(initSpec: string, runner: TerraformRunnerOptions | undefined): string {
  const environment = runner?.environment ?? terraformEnvironment();
  let cliConfig = "";
  try {
    cliConfig = readFileSync(environment.cliConfigFile, "utf8");
  } catch {
    // Missing config: Terraform's defaults, part of the key as the empty string.
  }
  return sha256(
    JSON.stringify([initSpec, environment.binary, environment.env, cliConfig, runner?.env ?? {}]),
  );
}

/** The parts of a stack `init` reads: the `terraform` block, the providers, the modules. */
function initSpecOf(json: TerraformJson): string {
  return JSON.stringify([
    json.terraform ?? null,
    Object.keys((json.provider ?? {}) as object).sort(),
    json.module ?? null,
  ]);
}

/** The record: what init was for, and the lock file it left. */
function initRecord(workDir: string, inputs: string): string | null {
  try {
    return `${inputs} ${sha256(readFileSync(join(workDir, LOCK_FILE)))}`;
  } catch {
    return null;
  }
}

function initIsCurrent(workDir: string, inputs: string): boolean {
  if (!existsSync(join(workDir, ".terraform", "terraform.tfstate"))) return false;
  try {
    return readFileSync(join(workDir, INIT_RECORD), "utf8") === initRecord(workDir, inputs);
  } catch {
    return false;
  }
}

/** Terraform's ways of saying the directory needs `init` first. */
const NEEDS_INIT =
  /terraform init|Backend initialization required|Inconsistent dependency lock file|Required plugins are not installed|Module not installed|provider registry\.terraform\.io\/\S+: required by this configuration/i;

async function init(runner: TerraformRunner, workDir: string, inputs: string): Promise<number> {
  rmSync(join(workDir, INIT_RECORD), { force: true });
  const run = await runner.init();
  const record = initRecord(workDir, inputs);
  if (record) writeFileSync(join(workDir, INIT_RECORD), record);
  return run.durationMs;
}

export async function planCluster(input: PlanClusterInput): Promise<PlanClusterResult> {
  const { config, workDir } = input;
  mkdirSync(workDir, { recursive: true });

  let started = Date.now();
  const stackOptions = input.stackOptions ?? {};
  const key = input.synthCache ? synthKey(config, stackOptions, input.customize) : "";
  let stack = input.synthCache?.get(key);
  const synthCached = stack !== undefined;
  if (!stack) {
    const json = synthesizeCluster(config, stackOptions, input.customize);
    stack = {
      text: `${JSON.stringify(json, null, 2)}\n`,
      resourceCount: countResources(json),
      initSpec: initSpecOf(json),
    };
    input.synthCache?.set(key, stack);
  }
  writeIfChanged(join(workDir, SYNTH_FILE), stack.text);
  const synthMs = Date.now() - started;

  const runner = new TerraformRunner(workDir, input.runner);
  const version = runner.terraformVersion();
  const inputs = initInputs(stack.initSpec, input.runner);
  let initReused = initIsCurrent(workDir, inputs);
  let initMs = initReused ? 0 : await init(runner, workDir, inputs);
  let validateMs: number | undefined;
  if (input.validate) validateMs = (await runner.validate()).durationMs;
  // No plan file from an earlier run may survive a failed plan, to be mistaken for this one.
  rmSync(join(workDir, PLAN_FILE), { force: true });
  let plan: Awaited<ReturnType<TerraformRunner["plan"]>>;
  try {
    plan = await runner.plan(PLAN_FILE, input.planArgs);
  } catch (error) {
    if (!initReused || !(error instanceof TerraformError)) throw error;
    if (!NEEDS_INIT.test(`${error.result.stderr}\n${error.result.stdout}`)) throw error;
    // The directory was not as ready as its record said: initialize, once, and plan again.
    initReused = false;
    initMs = await init(runner, workDir, inputs);
    plan = await runner.plan(PLAN_FILE, input.planArgs);
  }

  started = Date.now();
  let summaryFrom: "text" | "json" = "text";
  let planText = planTextFromStdout(plan.run.stdout);
  let summary = input.summaryFrom === "json" ? null : summarizePlanText(planText, await version);
  // Terraform's exit code says whether there are changes: the text must agree.
  if (summary && summary.hasChanges !== plan.hasChanges) summary = null;
  let planJson: unknown;
  if (!summary) {
    summaryFrom = "json";
    planJson = await runner.showJson(PLAN_FILE);
    summary = summarizePlan(planJson);
    planText = await runner.showText(PLAN_FILE);
  }
  summary = withDefinitionRisks(summary, config);
  // Node groups that roll: read from the JSON plan, asked for only when nodes are concerned.
  let rollout: RolloutPrediction | undefined;
  if (!input.planArgs?.includes("-destroy") && touchesNodes(summary)) {
    planJson ??= await runner.showJson(PLAN_FILE);
    rollout = predictRollout(config, plannedChanges(planJson));
  }
  const showMs = Date.now() - started;

  const context: PlanContext = { cluster: config.name, region: config.region, ...input.context };
  return {
    summary,
    planFile: join(workDir, PLAN_FILE),
    planText,
    markdown: renderPlanMarkdown(context, summary, planText, {
      sections: [
        ...(input.sections ?? []),
        { id: "rollout", markdown: rollout ? rolloutMarkdown(rollout) : "" },
      ].filter((section) => section.markdown !== ""),
    }),
    ...(rollout ? { rollout } : {}),
    resourceCount: stack.resourceCount,
    timings: {
      synthMs,
      synthCached,
      initMs,
      initReused,
      summaryFrom,
      ...(validateMs !== undefined ? { validateMs } : {}),
      planMs: plan.run.durationMs,
      showMs,
    },
    runner,
  };
}
