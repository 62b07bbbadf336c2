/**
 * k3s-bot's Probot entry (`probot run ./app/index.ts`): the app function, wired to real AWS.
 * Settings come from the environment (see README, "Running the bot"):
 *   K3S_BOT_WORK_DIR        Terraform working directories (default ./.work)
 *   K3S_BOT_MAX_TERRAFORM   concurrent terraform processes (default: number of cores)
 *   K3S_BOT_TIMEOUT_MINUTES limit for each terraform command (default 60)
 */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import type { Probot } from "probot";
import { createK3sBot } from "./bot/app";
import { createGitopsHandoff, defaultRepoUrl } from "./bot/gitops-handoff";
import { DefaultAwsEnvironment } from "./engine/aws-environment";
import { ClusterRuns } from "./engine/cluster-runs";
import { defaultConcurrency, RunQueue } from "./engine/run-queue";

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

export default function k3sBot(app: Probot): void {
  const runs = new ClusterRuns({
    aws: new DefaultAwsEnvironment(),
    queue: new RunQueue(
      positiveInt("K3S_BOT_MAX_TERRAFORM", defaultConcurrency(availableParallelism())),
    ),
    workRoot: resolve(process.env.K3S_BOT_WORK_DIR ?? ".work"),
    timeoutMs: positiveInt("K3S_BOT_TIMEOUT_MINUTES", 60) * 60_000,
    // Argo CD reads the repository at the URL the hand-off writes into its Applications.
    gitopsRepoUrl: defaultRepoUrl,
  });
  createK3sBot({ runs, afterApply: createGitopsHandoff({ repoUrl: defaultRepoUrl }) })(app);
}
