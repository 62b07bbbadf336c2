/**
 * One replica at a time runs the drift scan, and only when one is due: a lease item in the bot's
 * DynamoDB table (K3S_BOT_DELIVERY_TABLE, pk/sk like the lock tables), taken with a conditional
 * write. The item holds who scans (`holder`), until when its claim holds (`leaseUntil`, renewed
 * while the scan runs) and when the last scan finished (`lastScanAt`). A replica takes the lease
 * only when nobody holds it (or the claim ran out) and the last scan is an interval old; one that
 * dies mid-scan stops renewing, its claim runs out, and another replica scans.
 *
 * Times are epoch milliseconds; the item has no `expiresAt`, so the table's TTL never removes it.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";

const KEY = { pk: { S: "lease#drift-scan" }, sk: { S: "lease" } };
const N = (value: number) => ({ N: String(value) });

export interface DriftLeaseOptions {
  /** This replica's id (host name and process id, say). */
  holder: string;
  /** Time between scans. */
  intervalMs: number;
  /** How long a claim holds without renewal. */
  claimMs?: number;
  now?: () => number;
}

export class DriftLease {
  private readonly claimMs: number;
  private readonly now: () => number;

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly table: string,
    private readonly options: DriftLeaseOptions,
  ) {
    this.claimMs = options.claimMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Takes the lease when a scan is due and nobody else holds it; true when taken. */
  async take(): Promise<boolean> {
    const now = this.now();
    return this.conditional({
      UpdateExpression: "SET holder = :me, leaseUntil = :until",
      ConditionExpression:
        "(attribute_not_exists(leaseUntil) OR leaseUntil < :now) AND (attribute_not_exists(lastScanAt) OR lastScanAt <= :due)",
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

  /** Records a finished scan and lets the claim go. */
  finish(): Promise<boolean> {
    return this.conditional({
      UpdateExpression: "SET lastScanAt = :now, leaseUntil = :zero",
      ConditionExpression: "holder = :me",
      ExpressionAttributeValues: {
        ":me": { S: this.options.holder },
        ":now": N(this.now()),
        ":zero": N(0),
      },
    });
  }

  private async conditional(
    input: Omit<ConstructorParameters<typeof UpdateItemCommand>[0], "TableName" | "Key">,
  ): Promise<boolean> {
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({ TableName: this.table, Key: KEY, ...input }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

/**
 * Every `tickMs`, takes the lease if a scan is due and runs `scan` while renewing the claim.
 * Returns a stop function. Errors are logged, never thrown: the next tick tries again.
 */
export function scheduleDriftScans(
  lease: DriftLease,
  scan: () => Promise<void>,
  log: { info(m: string): void; error(m: string): void },
  tickMs: number,
): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      if (!(await lease.take())) return;
      log.info("drift scan: this replica holds the lease");
      const renew = setInterval(() => {
        lease.renew().catch((error) => log.error(`drift lease renewal: ${String(error)}`));
      }, 60_000);
      try {
        await scan();
      } finally {
        clearInterval(renew);
        await lease.finish();
      }
    } catch (error) {
      log.error(`drift scan: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), tickMs);
  timer.unref();
  void tick();
  return () => clearInterval(timer);
}
