/**
 * The App's scheduled jobs, one scheduler for all of them: each job runs every
 * `<setting>` hours (0 turns it off) on every repository of every installation, by one replica,
 * elected through the job's lease in K3S_BOT_DELIVERY_TABLE (engine/job-lease.ts). Without the
 * table there is no safe election across replicas, so the job does not run, and a warning says
 * so. The jobs:
 *
 * - the drift scan (drift-scan.ts), K3S_BOT_DRIFT_INTERVAL_HOURS, default 24;
 * - the update pull requests (update-pulls.ts), K3S_BOT_UPDATES_INTERVAL_HOURS, default 24. Its
 *   pull requests are opened with the installation's token, so GitHub sends the App their
 *   `pull_request.opened` events and they get the usual autoplan.
 */
import { hostname } from "node:os";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Probot } from "probot";
import { K3sSchema } from "../../infra/definition/schema";
import type { ClusterRuns } from "../engine/cluster-runs";
import { JobLease, type JobLog, type ScheduledJob, scheduleJob } from "../engine/job-lease";
import { redactSecrets } from "../engine/redact";
import { defaultSources, type UpdateSources } from "../engine/updates/sources";
import { scanDrift } from "./drift-scan";
import { RepoGitHub } from "./github";
import { proposeRepositoryUpdates } from "./update-pulls";

export const DRIFT_INTERVAL_SETTING = "K3S_BOT_DRIFT_INTERVAL_HOURS";
export const UPDATES_INTERVAL_SETTING = "K3S_BOT_UPDATES_INTERVAL_HOURS";

/** A job the App runs on each repository it is installed on. */
export interface RepositoryJob {
  /** The lease's name and the logs' (`drift-scan`). */
  name: string;
  /** The environment variable holding its interval in hours. */
  setting: string;
  defaultHours: number;
  /** Runs on one repository; a throw is logged, and the other repositories still run. */
  run(github: RepoGitHub, log: JobLog, botLogin: string): Promise<void>;
}

export function driftJob(runs: ClusterRuns): RepositoryJob {
  return {
    name: "drift-scan",
    setting: DRIFT_INTERVAL_SETTING,
    defaultHours: 24,
    run: async (github, log, botLogin) => {
      await scanDrift(github, runs, log, botLogin);
    },
  };
}

export function updatesJob(sources: UpdateSources = defaultSources()): RepositoryJob {
  return {
    name: "update-pulls",
    setting: UPDATES_INTERVAL_SETTING,
    defaultHours: 24,
    run: async (github, log) => {
      const results = await proposeRepositoryUpdates(github, {
        sources,
        defaultK3s: K3sSchema.parse({}).version,
      });
      for (const r of results)
        log.info(
          `update-pulls ${github.fullName} ${r.cluster} ${r.kind}: ${r.action}${r.pullRequest ? ` (#${r.pullRequest})` : ""}`,
        );
    },
  };
}

/** The interval in milliseconds, or null when the job is off; throws on a bad value. */
export function intervalMs(
  env: Record<string, string | undefined>,
  job: Pick<RepositoryJob, "setting" | "defaultHours">,
): number | null {
  const raw = env[job.setting];
  const hours = raw === undefined || raw === "" ? job.defaultHours : Number(raw);
  if (!Number.isFinite(hours) || hours < 0)
    throw new Error(`${job.setting}=${raw}: expected a number of hours (0: off)`);
  return hours === 0 ? null : hours * 3_600_000;
}

export interface ScheduleOptions {
  /** The lease table's client; by default one in AWS_REGION. */
  dynamodb?: DynamoDBClient;
  /** This replica's id in the lease; by default host name and process id. */
  holder?: string;
  /** How often a replica looks whether a run is due; by default the interval, at most 10 min. */
  tickMs?: number;
}

/** Starts one job's schedule; null when it does not run (off, or no table to elect in). */
export function startRepositoryJob(
  app: Probot,
  env: Record<string, string | undefined>,
  job: RepositoryJob,
  options: ScheduleOptions = {},
): ScheduledJob | null {
  const interval = intervalMs(env, job);
  if (interval === null) return null;
  const table = env.K3S_BOT_DELIVERY_TABLE;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!table || !region) {
    app.log.warn(
      `${job.name} is off: it needs K3S_BOT_DELIVERY_TABLE and AWS_REGION to elect one replica (${job.setting}=0 silences this)`,
    );
    return null;
  }
  const lease = new JobLease(options.dynamodb ?? new DynamoDBClient({ region }), table, {
    job: job.name,
    holder: options.holder ?? `${hostname()}:${process.pid}`,
    intervalMs: interval,
  });
  const log: JobLog = {
    info: (m) => app.log.info(redactSecrets(m)),
    error: (m) => app.log.error(redactSecrets(m)),
  };
  // Ticks often enough to notice a dead replica's lease soon; runs only when one is due.
  const tickMs = options.tickMs ?? Math.min(interval, 10 * 60_000);
  return scheduleJob(lease, () => eachRepository(app, job, log), log, tickMs);
}

/** Runs the job on every repository of every installation; one repository's failure is logged. */
async function eachRepository(app: Probot, job: RepositoryJob, log: JobLog): Promise<void> {
  const appOctokit = (await app.auth()) as unknown as RepoGitHub["octokit"];
  const { data: self } = await appOctokit.rest.apps.getAuthenticated();
  const botLogin = `${self?.slug}[bot]`;
  const installations = await appOctokit.paginate(appOctokit.rest.apps.listInstallations);
  for (const installation of installations) {
    const octokit = (await app.auth(installation.id)) as unknown as RepoGitHub["octokit"];
    const repos = await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation);
    for (const repo of repos) {
      const github = new RepoGitHub(octokit, repo.owner.login, repo.name, () =>
        Promise.resolve(botLogin),
      );
      try {
        await job.run(github, log, botLogin);
      } catch (error) {
        log.error(
          `${job.name} of ${repo.full_name} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }
}

/** Both of the App's jobs, each on its own interval and lease. */
export function startScheduledJobs(
  app: Probot,
  runs: ClusterRuns,
  env: Record<string, string | undefined>,
): void {
  startRepositoryJob(app, env, driftJob(runs));
  startRepositoryJob(app, env, updatesJob());
}
