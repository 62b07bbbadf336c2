/**
 * Turns Terraform's machine-readable plan (`terraform show -json <planfile>`) into the counts a
 * reviewer reads first: what is added, changed, replaced and destroyed, by resource type.
 */

export type ChangeKind = "add" | "change" | "replace" | "destroy";

export interface ResourceChange {
  address: string;
  type: string;
  kind: ChangeKind;
  /**
   * Why replacing it cannot be undone, when the definition says more than the resource type
   * (plan-risk.ts, withDefinitionRisks): a datastore restored from a snapshot is not empty.
   */
  why?: string;
}

export interface TypeCounts {
  type: string;
  add: number;
  change: number;
  replace: number;
  destroy: number;
}

export interface PlanSummary {
  /** Counted as Terraform counts them: a replacement is one add and one destroy. */
  add: number;
  change: number;
  destroy: number;
  replace: number;
  byType: TypeCounts[];
  /** Resources that will be destroyed, on their own or as part of a replacement. */
  destructive: ResourceChange[];
  changes: ResourceChange[];
  outputChanges: string[];
  hasChanges: boolean;
  terraformVersion: string;
}

interface PlanJson {
  terraform_version?: string;
  resource_changes?: Array<{
    address: string;
    type: string;
    mode?: string;
    change: { actions: string[] };
  }>;
  output_changes?: Record<string, { actions: string[] }>;
}

function kindOf(actions: readonly string[]): ChangeKind | null {
  const key = actions.join(",");
  switch (key) {
    case "create":
      return "add";
    case "update":
      return "change";
    case "delete":
      return "destroy";
    case "delete,create":
    case "create,delete":
      return "replace";
    default:
      // no-op, read (data sources), forget: nothing happens to infrastructure.
      return null;
  }
}

/** Changes counted per resource type, sorted by type: the summary table of the plan comment. */
export function countByType(changes: readonly ResourceChange[]): TypeCounts[] {
  const byType = new Map<string, TypeCounts>();
  for (const { type, kind } of changes) {
    const counts = byType.get(type) ?? { type, add: 0, change: 0, replace: 0, destroy: 0 };
    counts[kind] += 1;
    byType.set(type, counts);
  }
  return [...byType.values()].sort((a, b) => a.type.localeCompare(b.type));
}

export function summarizePlan(planJson: unknown): PlanSummary {
  const plan = planJson as PlanJson;
  const changes: ResourceChange[] = [];
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode === "data") continue;
    const kind = kindOf(rc.change.actions);
    if (kind) changes.push({ address: rc.address, type: rc.type, kind });
  }
  const count = (kind: ChangeKind) => changes.filter((c) => c.kind === kind).length;
  const replace = count("replace");
  const outputChanges = Object.entries(plan.output_changes ?? {})
    .filter(([, change]) => kindOf(change.actions) !== null)
    .map(([name]) => name);
  return {
    add: count("add") + replace,
    change: count("change"),
    destroy: count("destroy") + replace,
    replace,
    byType: countByType(changes),
    destructive: changes.filter((c) => c.kind === "destroy" || c.kind === "replace"),
    changes,
    outputChanges,
    hasChanges: changes.length > 0 || outputChanges.length > 0,
    terraformVersion: plan.terraform_version ?? "unknown",
  };
}

/** Terraform's own one-line wording, so reviewers recognise it. */
export function planHeadline(summary: PlanSummary): string {
  if (!summary.hasChanges) return "No changes. Your infrastructure matches the configuration.";
  return `Plan: ${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy.`;
}
