/**
 * The steps of a plan a reviewer must not miss: anything destroyed, and a replacement of what
 * holds data or everything else (the database, the EFS file system, the VPC). Decided from the
 * resource changes' types and actions (Terraform's `resource_changes[].change.actions`, or the
 * same from the plan's headers, checked against Terraform's totals), never from addresses,
 * whose names are free to change.
 */
import type { ClusterConfig } from "../../../infra/definition/config";
import type { PlanSummary, ResourceChange } from "./summary";

/** Replacing one of these loses data or takes everything in it along. */
const IRREVERSIBLE_ON_REPLACE: Record<string, string> = {
  aws_db_instance: "the datastore (RDS) is replaced: a new, empty database",
  aws_efs_file_system: "the EFS file system is replaced: its files are lost",
  aws_vpc: "the VPC is replaced: every subnet, node and load balancer in it with it",
};

export interface PlanRisk {
  address: string;
  type: string;
  why: string;
}

/** Why replacing this change's resource cannot be undone; null when it can. */
export function irreversibleReplacement(change: ResourceChange): string | null {
  if (change.kind !== "replace") return null;
  return change.why ?? IRREVERSIBLE_ON_REPLACE[change.type] ?? null;
}

/**
 * The plan's replacements in the definition's terms: with `datastore.restoreFromSnapshot`, the
 * RDS instance is replaced by one restored from that snapshot, not by an empty database.
 */
export function withDefinitionRisks(summary: PlanSummary, config: ClusterConfig): PlanSummary {
  const snapshot = config.datastore.restoreFromSnapshot;
  if (config.datastore.engine !== "postgres" || !snapshot) return summary;
  const why = `the datastore (RDS) is replaced by a new instance restored from snapshot \`${snapshot}\` (\`datastore.restoreFromSnapshot\`): everything written after that snapshot is lost; the apply fails at deleting the old instance while its deletion protection is on; the servers are replaced after the apply`;
  const annotate = (change: ResourceChange): ResourceChange =>
    change.type === "aws_db_instance" && change.kind === "replace" ? { ...change, why } : change;
  return {
    ...summary,
    changes: summary.changes.map(annotate),
    destructive: summary.destructive.map(annotate),
  };
}

export function planRisks(changes: readonly ResourceChange[]): PlanRisk[] {
  const risks: PlanRisk[] = [];
  for (const change of changes) {
    const irreversible = irreversibleReplacement(change) ?? IRREVERSIBLE_ON_REPLACE[change.type];
    if (change.kind === "replace" && irreversible)
      risks.push({ address: change.address, type: change.type, why: irreversible });
    else if (change.kind === "destroy")
      risks.push({ address: change.address, type: change.type, why: "destroyed" });
  }
  return risks;
}
