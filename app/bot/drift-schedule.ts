/**
 * The App's drift scans: every K3S_BOT_DRIFT_INTERVAL_HOURS (default 24; 0 turns them off), one
 * replica, elected through the lease in K3S_BOT_DELIVERY_TABLE (engine/drift-lease.ts), scans
 * every repository of every installation (drift-scan.ts). Without the table there is no safe
 * election across replicas, so there are no scans, and a warning says so.
 */
import { hostname } from "node:os";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Probot } from "probot";
import type { ClusterRuns } from "../engine/cluster-runs";
import { DriftLease, scheduleDriftScans } from "../engine/drift-lease";
import { redactSecrets } from "../engine/redact";
import { scanDrift } from "./drift-scan";
import { RepoGitHub } from "./github";

export const DRIFT_INTERVAL_SETTING = "K3S_BOT_DRIFT_INTERVAL_HOURS";
const DEFAULT_HOURS = 24;

/** The interval in milliseconds, or null when scans are off; throws on a bad value. */
export function driftIntervalMs(env: Record<string, string | undefined>): number | null {
  const raw = env[DRIFT_INTERVAL_SETTING];
  const hours = raw === undefined || raw === "" ? DEFAULT_HOURS : Number(raw);
  if (!Number.isFinite(hours) || hours < 0)
    throw new Error(`${DRIFT_INTERVAL_SETTING}=${raw}: expected a number of hours (0: off)`);
  return hours === 0 ? null : hours * 3_600_000;
}

export function startDriftSchedule(
  app: Probot,
  runs: ClusterRuns,
  env: Record<string, string | undefined>,
): (() => void) | null {
  const interval = driftIntervalMs(env);
  if (interval === null) return null;
  const table = env.K3S_BOT_DELIVERY_TABLE;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!table || !region) {
    app.log.warn(
      `drift scans are off: they need K3S_BOT_DELIVERY_TABLE and AWS_REGION to elect one replica (${DRIFT_INTERVAL_SETTING}=0 silences this)`,
    );
    return null;
  }
  const lease = new DriftLease(new DynamoDBClient({ region }), table, {
    holder: `${hostname()}:${process.pid}`,
    intervalMs: interval,
  });
  const log = {
    info: (m: string) => app.log.info(redactSecrets(m)),
    error: (m: string) => app.log.error(redactSecrets(m)),
  };
  const scan = async () => {
    const appOctokit = (await app.auth()) as unknown as RepoGitHub["octokit"];
    const { data: self } = await appOctokit.rest.apps.getAuthenticated();
    const botLogin = `${self?.slug}[bot]`;
    const installations = await appOctokit.paginate(appOctokit.rest.apps.listInstallations);
    for (const installation of installations) {
      const octokit = (await app.auth(installation.id)) as unknown as RepoGitHub["octokit"];
      const repos = await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation);
      for (const repo of repos) {
        try {
          await scanDrift(
            new RepoGitHub(octokit, repo.owner.login, repo.name),
            runs,
            log,
            botLogin,
          );
        } catch (error) {
          log.error(`drift scan of ${repo.full_name}: ${String(error)}`);
        }
      }
    }
  };
  // Ticks often enough to notice a dead replica's lease soon; scans only when one is due.
  return scheduleDriftScans(lease, scan, log, Math.min(interval, 10 * 60_000));
}
