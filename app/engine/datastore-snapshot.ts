/**
 * A manual RDS snapshot before an apply that changes the datastore (docs/backups.md): whatever
 * the change does to the instance (a modification RDS applies in place, a replacement), the state
 * just before it can be restored. The engine decides from the saved plan's JSON, by resource
 * type, not from the definition: any change Terraform would make to an `aws_db_instance`.
 *
 * RDS API: CreateDBSnapshot then DescribeDBSnapshots until the snapshot's Status is `available`
 * (Amazon RDS API Reference, CreateDBSnapshot / DBSnapshot.Status).
 */
import {
  CreateDBSnapshotCommand,
  DBInstanceNotFoundFault,
  DescribeDBSnapshotsCommand,
  InvalidDBInstanceStateFault,
  RDSClient,
  SnapshotQuotaExceededFault,
} from "@aws-sdk/client-rds";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import type { ClusterConfig } from "../../infra/definition/config";
import { MANAGED_BY_TAG } from "../../infra/naming";
import { errorMessage } from "./state-backend/aws-errors";

export interface ChangedDatastore {
  /** Terraform address, e.g. aws_db_instance.database_instance_1234. */
  address: string;
  /** The DB instance identifier before the change. */
  identifier: string;
}

interface PlanJson {
  resource_changes?: Array<{
    address: string;
    type: string;
    mode?: string;
    change: { actions: string[]; before?: Record<string, unknown> | null };
  }>;
}

/** The DB instances the plan updates, replaces or deletes (not those it creates). */
export function changedDatastores(plan: unknown): ChangedDatastore[] {
  const changes = (plan as PlanJson | null)?.resource_changes ?? [];
  return changes
    .filter(
      (rc) =>
        rc.type === "aws_db_instance" &&
        (rc.mode ?? "managed") === "managed" &&
        rc.change.actions.some((action) => action === "update" || action === "delete"),
    )
    .flatMap((rc) => {
      const identifier = rc.change.before?.identifier;
      return typeof identifier === "string" && identifier
        ? [{ address: rc.address, identifier }]
        : [];
    });
}

/** An RDS snapshot identifier: letters, digits and single hyphens, starting with a letter. */
export function snapshotIdentifier(instance: string, now: Date): string {
  const stamp = now.toISOString().replaceAll(/[-:T]/g, "").slice(0, 14);
  const base = `k3s-bot-pre-apply-${instance}`.replaceAll(/[^A-Za-z0-9-]/g, "-");
  return `${base}-${stamp}`.replaceAll(/-+/g, "-").slice(0, 255);
}

export interface SnapshotOptions {
  now?: Date;
  /** How long to wait for the snapshot to become available (default 30 minutes). */
  timeoutMs?: number;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Takes a manual snapshot of each instance and waits until every one is available. Throws when
 * one fails or does not finish in time: the caller must not apply then.
 */
export async function snapshotDatastores(
  rds: Pick<RDSClient, "send">,
  instances: ChangedDatastore[],
  options: SnapshotOptions = {},
): Promise<string[]> {
  const now = options.now ?? new Date();
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const pollMs = options.pollMs ?? 15_000;
  const sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  const taken: string[] = [];
  for (const instance of instances) {
    const id = snapshotIdentifier(instance.identifier, now);
    try {
      await rds.send(
        new CreateDBSnapshotCommand({
          DBInstanceIdentifier: instance.identifier,
          DBSnapshotIdentifier: id,
          Tags: Object.entries(MANAGED_BY_TAG).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    } catch (error) {
      throw new Error(notTaken(instance, error));
    }
    for (let waited = 0; ; waited += pollMs) {
      const found = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }));
      const status = found.DBSnapshots?.[0]?.Status;
      if (status === "available") break;
      if (status === "failed" || status === "deleted" || status === "deleting") {
        throw new Error(`RDS snapshot ${id} of ${instance.identifier} ended ${status}`);
      }
      if (waited >= timeoutMs) {
        throw new Error(
          `RDS snapshot ${id} of ${instance.identifier} was not available after ${Math.round(timeoutMs / 60_000)} minutes (status ${status ?? "unknown"})`,
        );
      }
      await sleep(pollMs);
    }
    taken.push(id);
  }
  return taken;
}

/**
 * Why no snapshot could be taken, for the PR: which instance, that nothing was applied, RDS' own
 * error, and what to do for the errors that have a known cause. CreateDBSnapshot's errors
 * (Amazon RDS API Reference, CreateDBSnapshot, Errors): DBInstanceNotFound (the instance the
 * plan saw is gone: the plan is stale), InvalidDBInstanceState (the instance is not available,
 * e.g. still modifying or stopped), SnapshotQuotaExceeded (the account's manual snapshots).
 */
function notTaken(instance: ChangedDatastore, error: unknown): string {
  const what = `No snapshot of the RDS instance ${instance.identifier} (${instance.address}) could be taken before the apply, so nothing was applied: ${errorMessage(error)}`;
  // The SDK (client-rds 3.1169) names each error's class after its shape: the wire code
  // DBInstanceNotFound arrives as a DBInstanceNotFoundFault, and so on.
  if (error instanceof DBInstanceNotFoundFault)
    return `${what} The instance is not there any more: plan again to see what an apply would do now.`;
  if (error instanceof InvalidDBInstanceStateFault)
    return `${what} RDS takes a snapshot only of an available instance: apply again once it is.`;
  if (error instanceof SnapshotQuotaExceededFault)
    return `${what} Delete manual snapshots you no longer need (older k3s-bot-pre-apply-* ones, say) or raise the quota, then apply again.`;
  return what;
}

/** An RDS client in the cluster's region, through the cluster's role when it names one. */
export function rdsClientFor(config: ClusterConfig): RDSClient {
  const { roleArn } = config.aws;
  if (!roleArn) return new RDSClient({ region: config.region });
  const sts = new STSClient({ region: config.region });
  return new RDSClient({
    region: config.region,
    credentials: async () => {
      const { Credentials: c } = await sts.send(
        new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: `k3s-bot-${config.name}` }),
      );
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`could not assume ${roleArn}`);
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
        ...(c.Expiration ? { expiration: c.Expiration } : {}),
      };
    },
  });
}
