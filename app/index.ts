/**
 * k3s-bot's Probot entry (`probot run ./app/index.ts`): the app function, wired to real AWS.
 * Settings come from the environment (README, "Running the bot"); the run engine's are read by
 * app/runtime.ts, shared with the GitHub Action. Here, in addition:
 *   K3S_BOT_DELIVERY_TABLE  DynamoDB table where webhook deliveries are claimed, so a redelivered
 *                           or duplicated event runs once across replicas (point it at your
 *                           clusters' lock table, `state.lockTable`); in AWS_REGION. Runs in
 *                           flight are journaled there too, so a crashed replica's runs are
 *                           reported by another (app/bot/run-journal.ts)
 *   K3S_BOT_SHUTDOWN_GRACE_SECONDS  (app/runtime.ts) on SIGTERM/SIGINT: no new work, this long for
 *                           runs in flight, then terraform gets SIGTERM and each run left is
 *                           reported on its PR as interrupted
 *   K3S_BOT_DRIFT_INTERVAL_HOURS  hours between drift scans (default 24, 0 off); one replica
 *                           scans, elected in K3S_BOT_DELIVERY_TABLE (app/bot/scheduled-jobs.ts)
 *   K3S_BOT_UPDATES_INTERVAL_HOURS  hours between runs of the update pull requests (default 24,
 *                           0 off); elected the same way (app/bot/scheduled-jobs.ts)
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Probot } from "probot";
import { createK3sBot } from "./bot/app";
import { DynamoDeliveryLog } from "./bot/deliveries";
import { createGitopsHandoff, defaultRepoUrl } from "./bot/gitops-handoff";
import { ReadyWatcher } from "./bot/ready-watch";
import { DynamoRunStore, RunJournal, type RunJournalOptions } from "./bot/run-journal";
import { startScheduledJobs } from "./bot/scheduled-jobs";
import { DefaultAwsEnvironment } from "./engine/aws-environment";
import type { ClusterRuns } from "./engine/cluster-runs";
import { ssmStatusReader } from "./engine/cluster-status/read";
import { DEFAULT_READY_TIMEOUT_MS } from "./engine/cluster-status/watch";
import { machineProbes, preflight, reportPreflight } from "./preflight";
import { createClusterRuns, type Environment, shutdownGraceMs } from "./runtime";

/** The delivery log the environment asks for, or undefined (with a warning) when it asks none. */
export function deliveryLogFrom(
  env: Environment,
  log: { warn: (message: string) => void; error: (message: string) => void },
): DynamoDeliveryLog | undefined {
  const table = env.K3S_BOT_DELIVERY_TABLE;
  if (!table) {
    log.warn(
      "K3S_BOT_DELIVERY_TABLE is not set: a webhook GitHub redelivers, or a comment event that arrives twice, may run twice",
    );
    return undefined;
  }
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new Error("K3S_BOT_DELIVERY_TABLE needs AWS_REGION (the table's region)");
  const deliveries = new DynamoDeliveryLog(new DynamoDBClient({ region }), table);
  // Creates the table on first start; until it exists, claims fail and events run (logged).
  deliveries
    .ensureTable()
    .catch((error: unknown) =>
      log.error(
        `delivery table ${table}: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
  return deliveries;
}

/**
 * How long the bot waits after an apply for the cluster to report ready
 * (K3S_BOT_READY_TIMEOUT_MINUTES, default 20; docs/time-to-ready.md says why).
 */
export function readyTimeoutMs(env: Environment): number {
  const minutes = Number(env.K3S_BOT_READY_TIMEOUT_MINUTES);
  return Number.isFinite(minutes) && minutes > 0 ? minutes * 60_000 : DEFAULT_READY_TIMEOUT_MS;
}

/** The run journal: in DynamoDB next to the delivery log when there is one, else in memory. */
export function runJournalFrom(
  env: Environment,
  log: Probot["log"],
  resumeWatch?: RunJournalOptions["resumeWatch"],
): RunJournal {
  const table = env.K3S_BOT_DELIVERY_TABLE;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const logger = { info: (m: string) => log.info(m), error: (m: string) => log.error(m) };
  if (!table || !region) return new RunJournal({ log: logger });
  return new RunJournal({
    log: logger,
    ...(resumeWatch ? { resumeWatch } : {}),
    store: new DynamoRunStore(new DynamoDBClient({ region }), table),
  });
}

/**
 * On SIGTERM or SIGINT: stop gracefully (RunJournal.stop, which stops the engine's terraform with
 * `runs.terminateTerraform`), then exit. A second signal kills.
 */
export function stopOnSignals(
  journal: RunJournal,
  runs: Pick<ClusterRuns, "terminateTerraform">,
  graceMs: number,
  log: Probot["log"],
): void {
  const stop = (signal: NodeJS.Signals) => {
    log.info(`${signal}: k3s-bot takes no new work and stops within ${graceMs / 1000} s`);
    journal
      .stop(graceMs, { terminate: () => runs.terminateTerraform() })
      .catch((error: unknown) => log.error(`stopping: ${String(error)}`))
      .finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

export default function k3sBot(app: Probot): void {
  // Checked in the background: Probot starts listening meanwhile, and a failed check is logged
  // with its fix rather than stopping a replica that may only be waiting for its role.
  void preflight(process.env, machineProbes(process.env)).then(
    (results) => reportPreflight(results, app.log),
    (error: unknown) => app.log.error(`start-up checks failed to run: ${String(error)}`),
  );
  const deliveries = deliveryLogFrom(process.env, {
    warn: (message) => app.log.warn(message),
    error: (message) => app.log.error(message),
  });
  const aws = new DefaultAwsEnvironment();
  let readyWatch: ReadyWatcher | undefined;
  const journal = runJournalFrom(process.env, app.log, (github, record) =>
    readyWatch ? readyWatch.resume(github, record) : Promise.resolve(),
  );
  readyWatch = new ReadyWatcher({
    read: ssmStatusReader((region) => aws.clients(region).ssm),
    journal,
    timeoutMs: readyTimeoutMs(process.env),
    log: { info: (m) => app.log.info(m), error: (m) => app.log.error(m) },
  });
  const runs = createClusterRuns(process.env);
  stopOnSignals(journal, runs, shutdownGraceMs(process.env), app.log);
  startScheduledJobs(app, runs, process.env);
  createK3sBot({
    runs,
    afterApply: createGitopsHandoff({ repoUrl: defaultRepoUrl }),
    journal,
    readyWatch,
    ...(deliveries ? { deliveries } : {}),
  })(app);
}
