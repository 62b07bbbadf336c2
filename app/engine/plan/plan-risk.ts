/**
 * The steps of a plan a reviewer must not miss: anything destroyed, and a replacement of what
 * holds data or everything else (the database, the EFS file system, the VPC). Decided from the
 * resource changes' types and actions (Terraform's `resource_changes[].change.actions`, or the
 * same from the plan's headers, checked against Terraform's totals), never from addresses,
 * whose names are free to change.
 */
import type { ResourceChange } from "./summary";

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
  return change.kind === "replace" ? (IRREVERSIBLE_ON_REPLACE[change.type] ?? null) : null;
}

export function planRisks(changes: readonly ResourceChange[]): PlanRisk[] {
  const risks: PlanRisk[] = [];
  for (const change of changes) {
    const irreversible = IRREVERSIBLE_ON_REPLACE[change.type];
    if (change.kind === "replace" && irreversible)
      risks.push({ address: change.address, type: change.type, why: irreversible });
    else if (change.kind === "destroy")
      risks.push({ address: change.address, type: change.type, why: "destroyed" });
  }
  return risks;
}
