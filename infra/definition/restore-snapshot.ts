/**
 * Which RDS snapshot `datastore.restoreFromSnapshot` may name: one of this cluster's own
 * datastore. The bot's role may restore any snapshot it can see (it needs
 * rds:RestoreDBInstanceFromDBSnapshot for the field to work at all), so without this a pull
 * request to one cluster could restore another cluster's database into it, where its servers'
 * database user reads every row. Names tell a snapshot's instance:
 * - `k3s-bot-pre-apply-<instance>-<UTC yyyymmddhhmmss>`: those k3s-bot takes before an apply
 *   (app/engine/datastore-snapshot.ts, snapshotIdentifier);
 * - `rds:<instance>-<yyyy-mm-dd-hh-mm>`: RDS automated snapshots (the AWS provider's
 *   snapshot_identifier docs give `rds:production-2015-06-26-06-05` as one);
 * - `<instance>-final`: the final snapshot on destroy (infra/database.ts).
 * A shared snapshot's ARN is judged by its name part. Any other snapshot (another cluster's, one
 * made by hand) must first be copied under such a name (`aws rds copy-db-snapshot`): an
 * operator's decision, with the operator's own rights.
 */
import { datastoreIdentifier } from "../naming";

export function restoreSnapshotProblem(clusterName: string, snapshot: string): string | null {
  const instance = datastoreIdentifier(clusterName);
  const name = snapshot.replace(/^arn:[^:]+:rds:[^:]*:\d{12}:snapshot:/, "");
  const own = [
    new RegExp(`^k3s-bot-pre-apply-${instance}-\\d{14}$`),
    new RegExp(`^rds:${instance}-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}$`),
    new RegExp(`^${instance}-final$`),
  ];
  if (own.some((pattern) => pattern.test(name))) return null;
  return `is not a snapshot of this cluster's datastore ${instance}: name one k3s-bot took before an apply (k3s-bot-pre-apply-${instance}-<time>), an automated one (rds:${instance}-<date>) or its final snapshot (${instance}-final); to restore another snapshot, copy it under such a name first (aws rds copy-db-snapshot)`;
}
