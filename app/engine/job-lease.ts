/**
 * One replica at a time runs a scheduled job (the drift scan, the update pull requests), and
 * only when one is due: a lease item per job in the bot's DynamoDB table
 * (K3S_BOT_DELIVERY_TABLE, pk/sk like the lock tables), taken with a conditional write. The item
 * holds who runs the job (`holder`), until when its claim holds (`leaseUntil`, renewed while the
 * job runs) and when the last run finished (`lastRunAt`). A replica takes the lease only when
 * nobody holds it (or the claim ran out) and the last run is an interval old; one that dies
 * mid-run stops renewing, its claim runs out, and another replica runs the job.
 *
 * Times are epoch milliseconds; the item has no `expiresAt`, so the table's TTL never removes it.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";

const N = (value: number) => ({ N: String(value) });

export interface JobLeaseOptions {
  /** The job's name in the table (`drift-scan`, `update-pulls`): one lease item per job. */
  job: string;
  /** This replica's id (host name and process id, say). */
  holder: string;
  /** Time between runs. */
  intervalMs: number;
  /** How long a claim holds without renewal. */
  claimMs?: number;
  now?: () => number;
}

export class JobLease {
  private readonly claimMs: number;
  private readonly now: () => number;
  private readonly key: Record<"pk" | "sk", { S: string }>;

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly table: string,
    private readonly options: JobLeaseOptions,
  ) {
    if (!/^[a-z][a-z0-9-]*$/.test(options.job))
      throw new Error(`job lease: ${JSON.stringify(options.job)} is not a job name`);
    this.claimMs = options.claimMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
    this.key = { pk: { S: `lease#${options.job}` }, sk: { S: "lease" } };
  }

  get job(): string {
    return this.options.job;
  }

  /** Takes the lease when a run is due and nobody else holds it; true when taken. */
  async take(): Promise<boolean> {
    const now = this.now();
    return this.conditional({
      UpdateExpression: "SET holder = :me, leaseUntil = :until",
      ConditionExpression:
        "(attribute_not_exists(leaseUntil) OR leaseUntil < :now) AND (attribute_not_exists(lastRunAt) OR lastRunAt <= :due)",
      ExpressionAttributeValues: {
        ":me": { S: this.options.holder },
        ":until": N(now + this.claimMs),
        ":now": N(now),
        ":due": N(now - this.options.intervalMs),
      },
    });
  }

  /** Extends this replica's claim; false when it lost it (it ran out and another took it). */
  renew(): Promise<boolean> {
    return this.conditional({
      UpdateExpression: "SET leaseUntil = :until",
      ConditionExpression: "holder = :me AND leaseUntil >= :now",
      ExpressionAttributeValues: {
        ":me": { S: this.options.holder },
        ":until": N(this.now() + this.claimMs),
        ":now": N(this.now()),
      },
    });
  }

  /** Records a finished run and lets the claim go. */
  finish(): Promise<boolean> {
    return this.conditional({
      UpdateExpression: "SET lastRunAt = :now, leaseUntil = :zero",
      ConditionExpression: "holder = :me",
      ExpressionAttributeValues: {
        ":me": { S: this.options.holder },
        ":now": N(this.now()),
        ":zero": N(0),
      },
    });
  }

  /** Lets the claim go without recording a run: a failed run is due again at the next tick. */
  release(): Promise<boolean> {
    return this.conditional({
      UpdateExpression: "SET leaseUntil = :zero",
      ConditionExpression: "holder = :me",
      ExpressionAttributeValues: { ":me": { S: this.options.holder }, ":zero": N(0) },
    });
  }

  private async conditional(
    input: Omit<ConstructorParameters<typeof UpdateItemCommand>[0], "TableName" | "Key">,
  ): Promise<boolean> {
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({ TableName: this.table, Key: this.key, ...input }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

export interface JobLog {
  info(message: string): void;
  error(message: string): void;
}

/** What one tick did: ran the job (it may have failed), or left it to another time or replica. */
export type TickOutcome = "ran" | "failed" | "not-due";

/**
 * Takes the lease if a run is due and runs `run` while renewing the claim each minute. Never
 * throws: a failing run is logged and released without being recorded, so it is due again at
 * the next tick (of whichever replica); a lease error is logged and leaves the job to the next
 * tick. A job that must not fail as a whole for one repository catches that itself.
 */
export async function runIfDue(
  lease: Pick<JobLease, "take" | "renew" | "finish" | "release" | "job">,
  run: () => Promise<void>,
  log: JobLog,
): Promise<TickOutcome> {
  const name = lease.job;
  try {
    if (!(await lease.take())) return "not-due";
  } catch (error) {
    log.error(`${name}: the lease could not be read: ${messageOf(error)}`);
    return "not-due";
  }
  log.info(`${name}: this replica holds the lease`);
  const renew = setInterval(() => {
    lease.renew().catch((error) => log.error(`${name} lease renewal: ${messageOf(error)}`));
  }, 60_000);
  let outcome: TickOutcome = "ran";
  try {
    await run();
  } catch (error) {
    outcome = "failed";
    log.error(`${name} failed: ${messageOf(error)}`);
  } finally {
    clearInterval(renew);
  }
  try {
    await (outcome === "ran" ? lease.finish() : lease.release());
  } catch (error) {
    log.error(`${name}: the lease could not be updated after the run: ${messageOf(error)}`);
  }
  return outcome;
}

/** A running schedule: stop it, or await what its first tick (at start) did. */
export interface ScheduledJob {
  stop(): void;
  first: Promise<TickOutcome>;
}

/**
 * Runs the job when it is due (runIfDue) at once, then every `tickMs`, one tick at a time. The
 * timer does not keep the process alive.
 */
export function scheduleJob(
  lease: Pick<JobLease, "take" | "renew" | "finish" | "release" | "job">,
  run: () => Promise<void>,
  log: JobLog,
  tickMs: number,
): ScheduledJob {
  let running = false;
  const tick = async (): Promise<TickOutcome> => {
    if (running) return "not-due";
    running = true;
    try {
      return await runIfDue(lease, run, log);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), tickMs);
  timer.unref();
  return { stop: () => clearInterval(timer), first: tick() };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
