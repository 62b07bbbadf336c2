/**
 * At most once per webhook: GitHub redelivers a delivery (same X-GitHub-Delivery id) when it
 * thinks the first attempt failed, a person can redeliver it from the App settings, and a
 * comment event can arrive twice under different delivery ids. With several bot replicas behind
 * one URL, any of them may get any copy. So before acting, a replica claims the delivery (and,
 * for a comment, the comment) with a conditional write to DynamoDB; only the one whose write
 * succeeds runs the command. Records carry a TTL attribute and expire after a week (GitHub lets
 * a delivery be redelivered for three days).
 *
 * Table: the same shape as the cluster lock tables (pk/sk strings, TTL on `expiresAt`), so an
 * operator can point K3S_BOT_DELIVERY_TABLE at one of them; the items use their own key prefix
 * (`delivery#…`, `comment#…`) and never collide with `lock#…`/`pr#…` items. A separate table is
 * needed only because a cluster's lock table is known after its definition is read, and the
 * claim must come before anything runs.
 *
 * When DynamoDB cannot be reached the event is processed anyway and the error logged: a run
 * twice is guarded further down (a plan is applied at most once, locks are conditional), while
 * a dropped command would be silent, which the bot never is.
 */
import {
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import {
  LOCK_TABLE_KEY,
  LOCK_TABLE_SCHEMA,
  LOCK_TABLE_TTL_ATTRIBUTE,
} from "../engine/state-backend";

/** One week: longer than GitHub's three-day redelivery window. */
export const DELIVERY_TTL_SECONDS = 7 * 24 * 60 * 60;

export interface DeliveryClaim {
  /** X-GitHub-Delivery. */
  deliveryId: string;
  /** Event name, kept on the record for whoever reads the table. */
  event: string;
  /** A second identity of the same event, e.g. `comment#owner/repo#123`. */
  eventKey?: string;
}

export type ClaimResult =
  | { run: true }
  | { run: false; reason: "duplicate-delivery" | "duplicate-event" }
  /** The store failed; the event runs anyway (see above) and the error is for the log. */
  | { run: true; error: string };

export interface DeliveryLog {
  claim(claim: DeliveryClaim): Promise<ClaimResult>;
}

export const deliveryKey = (deliveryId: string) => `delivery#${deliveryId}`;
export const commentKey = (repo: string, commentId: number) => `comment#${repo}#${commentId}`;

const S = (value: string) => ({ S: value });

export class DynamoDeliveryLog implements DeliveryLog {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
    private readonly ttlSeconds = DELIVERY_TTL_SECONDS,
  ) {}

  async claim({ deliveryId, event, eventKey }: DeliveryClaim): Promise<ClaimResult> {
    if (deliveryId.trim() === "") return { run: true, error: "the event has no delivery id" };
    const now = this.now();
    const item = (pk: string) => ({
      Put: {
        TableName: this.table,
        Item: {
          [LOCK_TABLE_KEY.partition]: S(pk),
          [LOCK_TABLE_KEY.sort]: S("seen"),
          event: S(event),
          deliveryId: S(deliveryId),
          receivedAt: S(now.toISOString()),
          [LOCK_TABLE_TTL_ATTRIBUTE]: {
            N: String(Math.floor(now.getTime() / 1000) + this.ttlSeconds),
          },
        },
        ConditionExpression: "attribute_not_exists(#pk)",
        ExpressionAttributeNames: { "#pk": LOCK_TABLE_KEY.partition },
      },
    });
    const items = [item(deliveryKey(deliveryId)), ...(eventKey ? [item(eventKey)] : [])];
    try {
      // Both records or neither: a delivery is never marked seen for an event that did not run.
      await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
      return { run: true };
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const reasons = error.CancellationReasons ?? [];
        if (reasons[0]?.Code === "ConditionalCheckFailed")
          return { run: false, reason: "duplicate-delivery" };
        if (reasons.some((reason) => reason.Code === "ConditionalCheckFailed"))
          return { run: false, reason: "duplicate-event" };
      }
      return { run: true, error: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Creates the table (on demand, TTL on) if it does not exist; for first start and tests. */
  async ensureTable(): Promise<void> {
    try {
      await this.client.send(
        new CreateTableCommand({
          TableName: this.table,
          ...LOCK_TABLE_SCHEMA,
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
      return;
    }
    await waitUntilTableExists(
      { client: this.client, maxWaitTime: 120 },
      { TableName: this.table },
    );
    await this.client.send(
      new UpdateTimeToLiveCommand({
        TableName: this.table,
        TimeToLiveSpecification: { AttributeName: LOCK_TABLE_TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  }
}
