/**
 * The Action's scheduled jobs (workflows/k3s-bot.yml, `schedule` and `workflow_dispatch`) on
 * GITHUB_REPOSITORY: the drift scan (bot/drift-scan.ts) and the update pull requests
 * (bot/update-pulls.ts), the same jobs the App runs on an interval (bot/scheduled-jobs.ts).
 *
 * The update pull requests are planned in this same job. A pull request opened, or a branch
 * pushed, with the job's GITHUB_TOKEN starts no workflow ("events triggered by the GITHUB_TOKEN,
 * with the exception of workflow_dispatch and repository_dispatch, will not create a new workflow
 * run": github/docs, data/reusables/actions/actions-do-not-trigger-workflows.md, read
 * 2026-11-29), so the `pull_request_target` run that would autoplan them never comes. The job
 * hands each PR it opened or moved to the app's autoplan instead, as that event would have.
 */
import type { ProbotOctokit } from "probot";
import { K3sSchema } from "../../infra/definition/schema";
import { scanDrift } from "../bot/drift-scan";
import { RepoGitHub } from "../bot/github";
import { proposeRepositoryUpdates } from "../bot/update-pulls";
import { PullRequestWorkflow } from "../bot/workflow";
import type { ClusterRuns } from "../engine/cluster-runs";
import { defaultSources, type UpdateSources } from "../engine/updates/sources";
import type { Environment } from "../runtime";

/** The login of the job token's comments and pull requests. */
export const ACTIONS_LOGIN = "github-actions[bot]";

export const SCHEDULED_JOBS = ["drift", "updates"] as const;
export type ScheduledJob = (typeof SCHEDULED_JOBS)[number];

/**
 * Which jobs to run: K3S_BOT_SCHEDULED_JOB (the workflow passes its `workflow_dispatch` input)
 * names one, or is `all` or empty (a scheduled run) for both.
 */
export function scheduledJobs(env: Environment): ScheduledJob[] {
  const chosen = env.K3S_BOT_SCHEDULED_JOB ?? "";
  if (chosen === "" || chosen === "all") return [...SCHEDULED_JOBS];
  const job = SCHEDULED_JOBS.find((j) => j === chosen);
  if (!job)
    throw new Error(
      `K3S_BOT_SCHEDULED_JOB=${chosen}: expected all, ${SCHEDULED_JOBS.join(" or ")}`,
    );
  return [job];
}

export interface ScheduledDependencies {
  runs: () => ClusterRuns;
  Octokit: typeof ProbotOctokit;
  sources?: UpdateSources;
  write: (line: string) => void;
}

/** Runs the chosen jobs, each whatever the other did; true when every one succeeded. */
export async function runScheduledJobs(
  env: Environment,
  token: string,
  repository: string,
  deps: ScheduledDependencies,
): Promise<boolean> {
  const jobs = scheduledJobs(env);
  const [owner = "", repo = ""] = repository.split("/");
  const octokit = new deps.Octokit({
    auth: token,
    ...(env.GITHUB_API_URL ? { baseUrl: env.GITHUB_API_URL } : {}),
  });
  const github = new RepoGitHub(octokit as never, owner, repo, () =>
    Promise.resolve(ACTIONS_LOGIN),
  );
  let runs: ClusterRuns | undefined;
  const engine = () => {
    runs ??= deps.runs();
    return runs;
  };
  let ok = true;
  if (jobs.includes("drift")) ok = (await driftScan(github, engine(), deps.write)) && ok;
  if (jobs.includes("updates"))
    ok = (await updatePulls(github, engine, deps.sources ?? defaultSources(), deps.write)) && ok;
  return ok;
}

/** The drift scan: true when every cluster could be checked. */
async function driftScan(
  github: RepoGitHub,
  runs: ClusterRuns,
  write: (line: string) => void,
): Promise<boolean> {
  const log = { info: write, error: (m: string) => write(`::error title=k3s-bot drift::${m}`) };
  const results = await scanDrift(github, runs, log, ACTIONS_LOGIN);
  for (const r of results) write(`drift ${r.cluster}: ${r.outcome}, issue ${r.issue}`);
  return !results.some((r) => r.outcome === "failed" || r.outcome === "invalid");
}

/** The update pull requests, each one opened or moved then planned: true when all went through. */
async function updatePulls(
  github: RepoGitHub,
  runs: () => ClusterRuns,
  sources: UpdateSources,
  write: (line: string) => void,
): Promise<boolean> {
  const fail = (m: string) => write(`::error title=k3s-bot updates::${m.replaceAll("\n", "%0A")}`);
  let results: Awaited<ReturnType<typeof proposeRepositoryUpdates>>;
  try {
    results = await proposeRepositoryUpdates(github, {
      sources,
      defaultK3s: K3sSchema.parse({}).version,
    });
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
    return false;
  }
  if (results.length === 0) write("updates: every definition is current");
  const log = { info: write, error: fail };
  for (const r of results) {
    write(
      `updates ${r.cluster} ${r.kind}: ${r.action}${r.pullRequest ? ` (#${r.pullRequest})` : ""}`,
    );
    // An unchanged branch keeps its plan; a new or moved one needs one.
    if (r.action === "unchanged") continue;
    await new PullRequestWorkflow(github, runs(), log).onPullRequestUpdated(
      r.pullRequest,
      ACTIONS_LOGIN,
    );
  }
  return true;
}
