/**
 * The run engine as the front doors that talk to real AWS build it: the Probot server
 * (app/index.ts) and the GitHub Action (app/action/main.ts). One factory, so both read the same
 * settings from the same environment variables (README, "Running the bot"):
 *   K3S_BOT_WORK_DIR        Terraform working directories (default ./.work)
 *   K3S_BOT_MAX_TERRAFORM   concurrent terraform processes (default: from the number of cores)
 *   K3S_BOT_TIMEOUT_MINUTES limit for each terraform command (default 60)
 *   K3S_BOT_REPOSITORY_BINDINGS  YAML file: what each repository may manage (unset: anything)
 *   K3S_BOT_SHUTDOWN_GRACE_SECONDS  on SIGTERM/SIGINT, how long runs in flight may finish before
 *                           terraform is stopped and they are reported as interrupted (default 30)
 */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { type AwsEnvironment, DefaultAwsEnvironment } from "./engine/aws-environment";
import { ClusterRuns } from "./engine/cluster-runs";
import { bindingsFromEnvironment } from "./engine/repository-bindings";
import { defaultConcurrency, RunQueue } from "./engine/run-queue";

export type Environment = Record<string, string | undefined>;

/** A positive integer setting, or the fallback when unset; anything else is an error. */
export function positiveInt(env: Environment, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

export interface RuntimeOptions {
  /** Defaults to the SDK's credential chain against real AWS. */
  aws?: AwsEnvironment;
}

export function createClusterRuns(
  env: Environment = process.env,
  options: RuntimeOptions = {},
): ClusterRuns {
  return new ClusterRuns({
    aws: options.aws ?? new DefaultAwsEnvironment(),
    queue: new RunQueue(
      positiveInt(env, "K3S_BOT_MAX_TERRAFORM", defaultConcurrency(availableParallelism())),
    ),
    workRoot: resolve(env.K3S_BOT_WORK_DIR || ".work"),
    timeoutMs: positiveInt(env, "K3S_BOT_TIMEOUT_MINUTES", 60) * 60_000,
    gitopsRepoUrl: (repo) => `https://github.com/${repo}.git`,
    ...withBindings(env),
  });
}

/** How long a stopping bot waits for its runs in flight (K3S_BOT_SHUTDOWN_GRACE_SECONDS). */
export function shutdownGraceMs(env: Environment = process.env): number {
  return positiveInt(env, "K3S_BOT_SHUTDOWN_GRACE_SECONDS", 30) * 1000;
}

/** The operator's repository bindings, if K3S_BOT_REPOSITORY_BINDINGS names a file. */
function withBindings(env: Environment) {
  const bindings = bindingsFromEnvironment(env);
  return bindings ? { bindings } : {};
}
