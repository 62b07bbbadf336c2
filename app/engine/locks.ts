/**
 * Cluster locks: one pull request holds a cluster from its first plan until it is merged,
 * closed or unlocked. They live in DynamoDB with conditional writes, so any number of bot
 * replicas agree on the holder, and they survive a crash of the bot.
 *
 * A cluster is identified by where its state lives (bucket + key), not by its name: two
 * repositories may both call a cluster `dev`, but only one state object can be `dev`'s.
 *
 * Items (table key: pk, sk):
 *   pk = lock#<bucket>/<key>        sk = lock       the lock itself, with its holder
 *   pk = pr#<repo>#<number>         sk = <lock pk>  index of a PR's locks, for release on merge/close
 * Both items are written and deleted in one transaction, so the index never disagrees.
 */
import {
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";

export interface ClusterRef {
  cluster: string;
  stateBucket: string;
  stateKey: string;
}

export interface LockHolder {
  /** owner/name */
  repo: string;
  pullRequest: number;
  /** Who caused the lock (the commenter or PR author). */
  user: string;
}

export interface LockRecord extends LockHolder, ClusterRef {
  lockedAt: string;
}

export type AcquireResult =
  | { acquired: true; record: LockRecord }
  | { acquired: false; heldBy: LockRecord };
export type ReleaseResult = { released: true } | { released: false; heldBy: LockRecord | null };

export function lockKey(ref: ClusterRef): string {
  return `lock#${ref.stateBucket}/${ref.stateKey}`;
}

function prKey(repo: string, pullRequest: number): string {
  return `pr#${repo}#${pullRequest}`;
}

const S = (value: string) => ({ S: value });
const N = (value: number) => ({ N: String(value) });

export function sameHolder(a: LockHolder, b: LockHolder): boolean {
  return a.repo === b.repo && a.pullRequest === b.pullRequest;
}

export class ClusterLocks {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get(ref: ClusterRef): Promise<LockRecord | null> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: { pk: S(lockKey(ref)), sk: S("lock") },
        ConsistentRead: true,
      }),
    );
    const item = out.Item;
    if (!item) return null;
    return {
      cluster: item.cluster?.S ?? ref.cluster,
      stateBucket: ref.stateBucket,
      stateKey: ref.stateKey,
      repo: item.repo?.S ?? "",
      pullRequest: Number(item.pullRequest?.N ?? 0),
      user: item.user?.S ?? "",
      lockedAt: item.lockedAt?.S ?? "",
    };
  }

  /** Takes the lock, or confirms this PR already holds it. Never steals it from another PR. */
  async acquire(ref: ClusterRef, holder: LockHolder): Promise<AcquireResult> {
    const record: LockRecord = { ...ref, ...holder, lockedAt: this.now().toISOString() };
    const existing = await this.get(ref);
    if (existing) {
      return sameHolder(existing, holder)
        ? { acquired: true, record: existing }
        : { acquired: false, heldBy: existing };
    }
    try {
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: {
                  pk: S(lockKey(ref)),
                  sk: S("lock"),
                  cluster: S(ref.cluster),
                  repo: S(holder.repo),
                  pullRequest: N(holder.pullRequest),
                  user: S(holder.user),
                  lockedAt: S(record.lockedAt),
                },
                ConditionExpression: "attribute_not_exists(pk)",
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: {
                  pk: S(prKey(holder.repo, holder.pullRequest)),
                  sk: S(lockKey(ref)),
                  cluster: S(ref.cluster),
                  stateBucket: S(ref.stateBucket),
                  stateKey: S(ref.stateKey),
                },
              },
            },
          ],
        }),
      );
      return { acquired: true, record };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      // Another replica or PR won the race between our read and our write.
      const winner = await this.get(ref);
      if (winner && sameHolder(winner, holder)) return { acquired: true, record: winner };
      if (winner) return { acquired: false, heldBy: winner };
      throw error;
    }
  }

  /** Releases the lock if this PR holds it. Releasing a lock nobody holds is a success. */
  async release(ref: ClusterRef, holder: LockHolder): Promise<ReleaseResult> {
    const existing = await this.get(ref);
    if (!existing) return { released: true };
    if (!sameHolder(existing, holder)) return { released: false, heldBy: existing };
    try {
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.table,
                Key: { pk: S(lockKey(ref)), sk: S("lock") },
                ConditionExpression: "repo = :repo AND pullRequest = :pr",
                ExpressionAttributeValues: {
                  ":repo": S(holder.repo),
                  ":pr": N(holder.pullRequest),
                },
              },
            },
            {
              Delete: {
                TableName: this.table,
                Key: { pk: S(prKey(holder.repo, holder.pullRequest)), sk: S(lockKey(ref)) },
              },
            },
          ],
        }),
      );
      return { released: true };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const now = await this.get(ref);
      return now && !sameHolder(now, holder)
        ? { released: false, heldBy: now }
        : { released: true };
    }
  }

  /** Every lock a PR holds, from its index items. */
  async heldBy(repo: string, pullRequest: number): Promise<ClusterRef[]> {
    try {
      return await this.heldByQuery(repo, pullRequest);
    } catch (error) {
      // The table is created by the first plan: before it exists, nobody holds anything (a PR
      // closed before any plan must not fail to release nothing).
      if ((error as { name?: string }).name === "ResourceNotFoundException") return [];
      throw error;
    }
  }

  private async heldByQuery(repo: string, pullRequest: number): Promise<ClusterRef[]> {
    const refs: ClusterRef[] = [];
    let start: Record<string, { S: string }> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": S(prKey(repo, pullRequest)) },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) {
        refs.push({
          cluster: item.cluster?.S ?? "",
          stateBucket: item.stateBucket?.S ?? "",
          stateKey: item.stateKey?.S ?? "",
        });
      }
      start = out.LastEvaluatedKey as Record<string, { S: string }> | undefined;
    } while (start);
    return refs;
  }

  /** On merge or close: release everything the PR holds. Idempotent (redelivered webhooks). */
  async releaseAll(repo: string, pullRequest: number, user: string): Promise<string[]> {
    const released: string[] = [];
    for (const ref of await this.heldBy(repo, pullRequest)) {
      const result = await this.release(ref, { repo, pullRequest, user });
      if (result.released) released.push(ref.cluster);
    }
    return released;
  }
}
