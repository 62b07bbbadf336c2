/**
 * No run lost without a message when the bot stops, whether it is stopped or it crashes.
 *
 * Every plan and apply the bot starts is recorded here while it runs: in memory (for a graceful
 * stop) and, with a store, in DynamoDB (for a crash, where the process has no chance to report).
 *
 * Graceful stop (SIGTERM/SIGINT, app/index.ts): the bot takes no new work, waits up to a grace
 * period for the runs in flight, then sends SIGTERM to its terraform children (Terraform stops
 * cleanly and releases its state lock where it can) and reports every run still going: a comment
 * on its PR and its check run completed as failed. The cluster lock stays with the PR.
 *
 * Crash: each record carries the replica that runs it and a heartbeat the replica refreshes. At
 * start-up and periodically, every replica reads the (one-partition, so cheap) journal and takes
 * over records whose heartbeat is stale (3 × the interval): a conditional write makes it the
 * record's owner, so of two replicas racing only one reports. It reports as the run's GitHub App
 * installation, then deletes the record. If it dies before reporting, its own takeover goes
 * stale and another replica reports.
 *
 * Items live in the delivery table (deliveries.ts) under `pk = run#in-flight`, with a TTL, and
 * use only the calls the delivery log and locks already need (Query, TransactWriteItems).
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { describeError } from "../engine/cluster-runs";
import { LOCK_TABLE_KEY, LOCK_TABLE_TTL_ATTRIBUTE } from "../engine/state-backend";
import type { RepoGitHub } from "./github";

export const RUN_PARTITION = "run#in-flight";
export const DEFAULT_HEARTBEAT_MS = 30_000;
/** A record nobody refreshed for a week is gone even if no replica could report it. */
const RUN_TTL_SECONDS = 7 * 24 * 60 * 60;

export interface RunRecord {
  id: string;
  installationId: number;
  repo: string;
  pullRequest: number;
  cluster: string;
  kind: "plan" | "apply";
  checkRunId: number;
  replica: string;
  /** Epoch milliseconds of the owner's last heartbeat. */
  heartbeatAt: number;
  /** Epoch seconds (DynamoDB TTL). */
  expiresAt: number;
}

/** The run a workflow is about to start. */
export type RunStart = Pick<RunRecord, "pullRequest" | "cluster" | "kind" | "checkRunId">;

export interface RunStore {
  /** Writes the record; with `expected`, only if the stored one still matches (else false). */
  put(record: RunRecord, expected?: Pick<RunRecord, "replica" | "heartbeatAt">): Promise<boolean>;
  /** Deletes the record if `replica` still owns it (else false). */
  delete(id: string, replica: string): Promise<boolean>;
  list(): Promise<RunRecord[]>;
}

export function interruptedByRestart(run: Pick<RunRecord, "cluster" | "kind">): string {
  const { cluster, kind } = run;
  return [
    `### k3s ${kind} · \`${cluster}\` · interrupted`,
    "",
    `The ${kind} of \`${cluster}\` was interrupted by a restart of k3s-bot; the lock stays with this PR; run \`/k3s plan ${cluster}\` (then \`/k3s apply ${cluster}\`) again.`,
  ].join("\n");
}

interface Logger {
  info(message: string): void;
  error(message: string): void;
}

export interface RunJournalOptions {
  /** Without one, only a graceful stop is reported (nothing survives a crash). */
  store?: RunStore;
  heartbeatMs?: number;
  replica?: string;
  log?: Logger;
  now?: () => number;
}

/** A GitHub client for a repository, authenticated as an installation (probot.auth). */
export type GitHubFor = (installationId: number, repo: string) => Promise<RepoGitHub>;

export class RunJournal {
  readonly replica: string;
  readonly heartbeatMs: number;
  private stopRequested = false;
  private readonly active = new Map<string, { record: RunRecord; github: RepoGitHub }>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly log: Logger;
  private readonly now: () => number;

  /** True once stop() was called: the app takes no new work. Only stop() sets it. */
  get stopping(): boolean {
    return this.stopRequested;
  }

  constructor(private readonly options: RunJournalOptions = {}) {
    this.replica = options.replica ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.log = options.log ?? { info: () => {}, error: () => {} };
    this.now = options.now ?? Date.now;
  }

  /** Runs `work` as a recorded run: recorded before it starts, forgotten when it ends. */
  async track<T>(
    github: RepoGitHub,
    installationId: number,
    run: RunStart,
    work: () => Promise<T>,
  ): Promise<T> {
    const now = this.now();
    const record: RunRecord = {
      ...run,
      id: `${this.replica}#${randomUUID()}`,
      installationId,
      repo: github.fullName,
      replica: this.replica,
      heartbeatAt: now,
      expiresAt: Math.floor(now / 1000) + RUN_TTL_SECONDS,
    };
    this.active.set(record.id, { record, github });
    // A journal that cannot be written does not stop the run; it is logged (as deliveries.ts).
    await this.storeCall(`record ${record.kind} ${record.cluster}`, (s) => s.put(record));
    try {
      return await work();
    } finally {
      this.active.delete(record.id);
      await this.storeCall(`forget ${record.kind} ${record.cluster}`, (s) =>
        s.delete(record.id, this.replica),
      );
    }
  }

  inFlight(): RunRecord[] {
    return [...this.active.values()].map((a) => a.record);
  }

  /** Heartbeats and sweeps on timers (unref'd), and a first sweep now. */
  start(githubFor: GitHubFor): void {
    if (!this.options.store || this.timers.length > 0) return;
    const sweep = () =>
      this.sweep(githubFor).catch((e) => this.log.error(`run journal: ${describeError(e)}`));
    this.timers.push(
      setInterval(() => void this.heartbeat(), this.heartbeatMs),
      setInterval(sweep, 2 * this.heartbeatMs),
    );
    for (const timer of this.timers) timer.unref();
    void sweep();
  }

  /** Refreshes the heartbeat of this replica's runs. */
  async heartbeat(): Promise<void> {
    for (const entry of this.active.values()) {
      const previous = entry.record;
      const next = { ...previous, heartbeatAt: this.now() };
      const kept = await this.storeCall(`heartbeat ${previous.cluster}`, (s) =>
        s.put(next, previous),
      );
      if (kept) entry.record = next;
      else if (kept === false)
        this.log.error(
          `run journal: ${previous.kind} ${previous.cluster} of ${previous.repo}#${previous.pullRequest} was taken over by another replica (this one looked dead)`,
        );
    }
  }

  /** Reports the runs whose replica stopped heartbeating; returns how many this replica reported. */
  async sweep(githubFor: GitHubFor): Promise<number> {
    const store = this.options.store;
    if (!store) return 0;
    let reported = 0;
    for (const record of await store.list()) {
      if (this.active.has(record.id)) continue;
      if (this.now() - record.heartbeatAt <= 3 * this.heartbeatMs) continue;
      const mine = { ...record, replica: this.replica, heartbeatAt: this.now() };
      if (!(await store.put(mine, record))) continue; // another replica took it
      try {
        await report(await githubFor(record.installationId, record.repo), record);
      } catch (error) {
        // Left to go stale again: the next sweep (of any replica) retries.
        this.log.error(
          `run journal: could not report the interrupted ${record.kind} of ${record.cluster} on ${record.repo}#${record.pullRequest}: ${describeError(error)}`,
        );
        continue;
      }
      await store.delete(record.id, this.replica);
      this.log.info(
        `run journal: reported the interrupted ${record.kind} of ${record.cluster} on ${record.repo}#${record.pullRequest} (replica ${record.replica} stopped)`,
      );
      reported++;
    }
    return reported;
  }

  /**
   * Graceful stop: no new work, up to `graceMs` for the runs in flight, then `terminate` (the run
   * engine's `terminateTerraform`: SIGTERM to its terraform processes) and a report for each run
   * still going; then up to `settleMs` for them to wind down.
   * Returns the runs that were reported as interrupted.
   */
  async stop(
    graceMs: number,
    options: { terminate: () => number; settleMs?: number },
  ): Promise<RunRecord[]> {
    this.stopRequested = true;
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await this.settle(graceMs);
    const left = [...this.active.values()];
    if (left.length === 0) return [];
    const signalled = options.terminate();
    this.log.info(
      `stopping with ${left.length} run(s) in flight; SIGTERM sent to ${signalled} terraform process(es)`,
    );
    await Promise.all(
      left.map(async ({ record, github }) => {
        try {
          await report(github, record);
          await this.storeCall(`forget ${record.cluster}`, (s) =>
            s.delete(record.id, this.replica),
          );
        } catch (error) {
          // The record stays: another replica reports it once its heartbeat is stale.
          this.log.error(
            `could not report the interrupted ${record.kind} of ${record.cluster} on ${record.repo}#${record.pullRequest}: ${describeError(error)}`,
          );
        }
      }),
    );
    await this.settle(options.settleMs ?? 5_000);
    return left.map((entry) => entry.record);
  }

  private async settle(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.active.size > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, deadline - Date.now())));
  }

  /** A store call whose failure is logged, not raised; undefined when it failed or no store. */
  private async storeCall<T>(what: string, call: (store: RunStore) => Promise<T>) {
    if (!this.options.store) return undefined;
    try {
      return await call(this.options.store);
    } catch (error) {
      this.log.error(`run journal: ${what}: ${describeError(error)}`);
      return undefined;
    }
  }
}

async function report(github: RepoGitHub, record: RunRecord): Promise<void> {
  const body = interruptedByRestart(record);
  const results = await Promise.allSettled([
    github.finishCheckRun(record.checkRunId, "failure", {
      title: "Interrupted by a restart of k3s-bot",
      summary: body,
    }),
    github.comment(record.pullRequest, body),
  ]);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
}

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });

export class DynamoRunStore implements RunStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  private key(id: string) {
    return { [LOCK_TABLE_KEY.partition]: S(RUN_PARTITION), [LOCK_TABLE_KEY.sort]: S(id) };
  }

  /** Single-item transactions: the calls the bot's IAM policy already grants. */
  private async write(item: Record<string, unknown>): Promise<boolean> {
    try {
      await this.client.send(new TransactWriteItemsCommand({ TransactItems: [item as never] }));
      return true;
    } catch (error) {
      if (
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.[0]?.Code === "ConditionalCheckFailed"
      )
        return false;
      throw error;
    }
  }

  put(record: RunRecord, expected?: Pick<RunRecord, "replica" | "heartbeatAt">) {
    return this.write({
      Put: {
        TableName: this.table,
        Item: {
          ...this.key(record.id),
          installationId: N(record.installationId),
          repo: S(record.repo),
          pullRequest: N(record.pullRequest),
          cluster: S(record.cluster),
          kind: S(record.kind),
          checkRunId: N(record.checkRunId),
          replica: S(record.replica),
          heartbeatAt: N(record.heartbeatAt),
          [LOCK_TABLE_TTL_ATTRIBUTE]: N(record.expiresAt),
        },
        ...(expected
          ? {
              ConditionExpression: "replica = :replica AND heartbeatAt = :heartbeat",
              ExpressionAttributeValues: {
                ":replica": S(expected.replica),
                ":heartbeat": N(expected.heartbeatAt),
              },
            }
          : {}),
      },
    });
  }

  delete(id: string, replica: string) {
    return this.write({
      Delete: {
        TableName: this.table,
        Key: this.key(id),
        ConditionExpression: "replica = :replica",
        ExpressionAttributeValues: { ":replica": S(replica) },
      },
    });
  }

  async list(): Promise<RunRecord[]> {
    const records: RunRecord[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "#pk = :pk",
          ExpressionAttributeNames: { "#pk": LOCK_TABLE_KEY.partition },
          ExpressionAttributeValues: { ":pk": S(RUN_PARTITION) },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const s = (name: string) => item[name]?.S ?? "";
        const n = (name: string) => Number(item[name]?.N ?? 0);
        records.push({
          id: s(LOCK_TABLE_KEY.sort),
          installationId: n("installationId"),
          repo: s("repo"),
          pullRequest: n("pullRequest"),
          cluster: s("cluster"),
          kind: s("kind") === "apply" ? "apply" : "plan",
          checkRunId: n("checkRunId"),
          replica: s("replica"),
          heartbeatAt: n("heartbeatAt"),
          expiresAt: n(LOCK_TABLE_TTL_ATTRIBUTE),
        });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return records;
  }
}
