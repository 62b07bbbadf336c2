/**
 * k3s-bot as a GitHub Action step (workflows/k3s-bot.yml), for teams that do not host a server.
 *
 * The same code path as the app: the event GitHub Actions hands the job (GITHUB_EVENT_NAME,
 * GITHUB_EVENT_PATH) is fed to a Probot instance running `createK3sBot`, authenticated with the
 * job's GITHUB_TOKEN instead of an App installation token. Handlers, workflow, engine: unchanged.
 *
 * `pull_request_target` is delivered as `pull_request`: its payload is the same, and the workflow
 * uses it so the bot always runs as defined on the default branch (a PR cannot edit the workflow
 * that holds the AWS role), exactly as the app reads its config from the default branch.
 *
 * Exit codes: 0 handled (or nothing to handle), 1 the run failed, 2 the job is misconfigured.
 */
import { readFileSync } from "node:fs";
import { Probot, type ProbotOctokit } from "probot";
import { createK3sBot, HANDLED_EVENTS } from "../bot/app";
import { createGitopsHandoff, defaultRepoUrl } from "../bot/gitops-handoff";
import type { AfterApply } from "../bot/workflow";
import type { ClusterRuns } from "../engine/cluster-runs";
import type { UpdateSources } from "../engine/updates/sources";
import { createClusterRuns, type Environment } from "../runtime";
import { ACTIONS_LOGIN, runScheduledJobs } from "./scheduled";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/**
 * Events that run the scheduled jobs of this repository (drift scan, update pull requests;
 * scheduled.ts) instead of a webhook handler. `schedule`
 * runs only the workflow file on the default branch, at its latest commit ("This event will
 * only trigger a workflow run if the workflow file is on the default branch. Scheduled
 * workflows will only run on the default branch": github/docs, content/actions/
 * using-workflows/events-that-trigger-workflows.md, `schedule`, 2024-04), and the scan reads
 * definitions and config from the default branch through the API whatever the event.
 */
const SCHEDULED_EVENTS = ["schedule", "workflow_dispatch"];

/** Event names as GitHub Actions spells them → the webhook event the app handles. */
const EVENT_ALIASES: Record<string, string> = { pull_request_target: "pull_request" };

/** Webhook event names the app subscribes to, from HANDLED_EVENTS ("issue_comment.created" …). */
export const HANDLED_EVENT_NAMES: readonly string[] = [
  ...new Set(HANDLED_EVENTS.map((event) => event.split(".")[0] as string)),
];

export interface ActionDependencies {
  /** The run engine; by default built from the environment against real AWS. */
  runs?: ClusterRuns;
  /** After a successful apply; by default the GitOps hand-off, as in the app. */
  afterApply?: AfterApply;
  /** Octokit class for Probot (tests switch retries and throttling off). */
  Octokit?: typeof ProbotOctokit;
  /** Where the update job looks for newer versions; by default the real sources. */
  sources?: UpdateSources;
  /** Where messages go (GitHub Actions reads workflow commands such as ::error:: here). */
  write?: (line: string) => void;
}

class UsageError extends Error {}

function required(env: Environment, name: string): string {
  const value = env[name];
  if (!value) throw new UsageError(`${name} is not set; run this inside a GitHub Actions job`);
  return value;
}

function readEvent(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(
      `cannot read the event file ${path}: ${error instanceof Error ? error.message : error}`,
    );
  }
  const payload: unknown = JSON.parse(text);
  if (payload === null || typeof payload !== "object" || Array.isArray(payload))
    throw new UsageError(`the event file ${path} does not hold a JSON object`);
  return payload as Record<string, unknown>;
}

/** Runs the bot once for the job's event; returns the process exit code, never throws. */
export async function runAction(
  env: Environment = process.env,
  deps: ActionDependencies = {},
): Promise<number> {
  const write = deps.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  try {
    const eventName = required(env, "GITHUB_EVENT_NAME");
    const name = EVENT_ALIASES[eventName] ?? eventName;
    if (SCHEDULED_EVENTS.includes(eventName)) return await runScheduled(env, deps, write);
    if (!HANDLED_EVENT_NAMES.includes(name)) {
      write(
        `k3s-bot: nothing to do for ${eventName} events (handled: ${HANDLED_EVENT_NAMES.join(", ")})`,
      );
      return EXIT_OK;
    }
    const payload = readEvent(required(env, "GITHUB_EVENT_PATH"));
    const token = required(env, "GITHUB_TOKEN");
    const repository = required(env, "GITHUB_REPOSITORY");
    const payloadRepo = (payload.repository as { full_name?: string } | undefined)?.full_name;
    if (payloadRepo !== undefined && payloadRepo !== repository) {
      throw new UsageError(
        `the event is for ${payloadRepo} but GITHUB_REPOSITORY is ${repository}; the token cannot act there`,
      );
    }

    const probot = new Probot({
      githubToken: token,
      ...(env.GITHUB_API_URL ? { baseUrl: env.GITHUB_API_URL } : {}),
      ...(deps.Octokit ? { Octokit: deps.Octokit } : {}),
      logLevel: (env.LOG_LEVEL as "info" | undefined) ?? "info",
    });
    // No delivery log here: each job run is one delivery, re-runs are meant to run again, and
    // the workflow's concurrency group already runs one job per PR at a time.
    await probot.load(
      createK3sBot({
        runs: deps.runs ?? createClusterRuns(env),
        afterApply: deps.afterApply ?? createGitopsHandoff({ repoUrl: defaultRepoUrl }),
        // The job token comments as GitHub Actions' bot (there is no App to ask GET /app).
        botLogin: ACTIONS_LOGIN,
      }),
    );
    // One delivery id per run attempt: a re-run of the job is a new delivery, as a redelivered
    // webhook is; the bot's own idempotence (locks, plan per commit) covers both.
    const id = `actions-${env.GITHUB_RUN_ID ?? "local"}-${env.GITHUB_RUN_ATTEMPT ?? "1"}`;
    await probot.receive({ id, name, payload } as Parameters<Probot["receive"]>[0]);
    return EXIT_OK;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // One line, as a workflow command, so the job's summary shows it.
    write(`::error title=k3s-bot::${message.replaceAll("\n", "%0A")}`);
    return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILED;
  }
}

/** The scheduled jobs of GITHUB_REPOSITORY (scheduled.ts): 0 when each succeeded, else 1. */
async function runScheduled(
  env: Environment,
  deps: ActionDependencies,
  write: (line: string) => void,
): Promise<number> {
  const token = required(env, "GITHUB_TOKEN");
  const repository = required(env, "GITHUB_REPOSITORY");
  const ok = await runScheduledJobs(env, token, repository, {
    runs: () => deps.runs ?? createClusterRuns(env),
    Octokit: deps.Octokit ?? (await import("probot")).ProbotOctokit,
    ...(deps.sources ? { sources: deps.sources } : {}),
    write,
  });
  return ok ? EXIT_OK : EXIT_FAILED;
}

if (process.argv[1]?.endsWith("app/action/main.ts")) {
  runAction().then((code) => {
    process.exitCode = code;
  });
}
