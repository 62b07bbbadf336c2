/**
 * Monthly cost of a plan: before (the base branch's definition), after (the PR's) and the
 * difference, at the minimum and at the maximum number of workers, the way Infracost shows it
 * on a pull request. The quantities and unit prices are docs/cost.md's (app/docs/cost.ts), so
 * the comment and the document cannot disagree. A region or type without a price fact is said,
 * never counted as zero.
 */
import type { ClusterConfig } from "../../../infra/definition/config";
import { clusterCost, PRICES_AS_OF } from "../../docs/cost";

export interface CostPoint {
  atMin: number;
  atMax: number;
}

export type CostComparison =
  | { kind: "priced"; before: CostPoint | null; after: CostPoint | null }
  | { kind: "unpriced"; reason: string };

function costOf(config: ClusterConfig | null): CostPoint | null {
  if (!config) return null;
  const cost = clusterCost(config);
  return { atMin: cost.total, atMax: cost.totalAtMax };
}

/** `before`: null for a new cluster; `after`: null for a cluster this change destroys. */
export function compareCost(
  before: ClusterConfig | null,
  after: ClusterConfig | null,
): CostComparison {
  try {
    return { kind: "priced", before: costOf(before), after: costOf(after) };
  } catch (error) {
    return { kind: "unpriced", reason: (error as Error).message };
  }
}

const round2 = (value: number) => Math.round(value * 100) / 100;
export const usd = (value: number) =>
  `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
export const signedUsd = (value: number) =>
  value === 0 ? "±$0.00" : `${value > 0 ? "+" : "−"}${usd(Math.abs(value))}`;

/** The difference after − before (a missing side counts as nothing running). */
export function costDelta(comparison: Extract<CostComparison, { kind: "priced" }>): CostPoint {
  const before = comparison.before ?? { atMin: 0, atMax: 0 };
  const after = comparison.after ?? { atMin: 0, atMax: 0 };
  return { atMin: round2(after.atMin - before.atMin), atMax: round2(after.atMax - before.atMax) };
}

export function costMarkdown(
  comparison: CostComparison,
  workers: { before?: [number, number]; after?: [number, number] },
): string {
  if (comparison.kind === "unpriced") {
    return `**Monthly cost:** not estimated: ${comparison.reason}.`;
  }
  const delta = costDelta(comparison);
  const range = (w?: [number, number]) => (w ? ` (${w[0]} / ${w[1]} workers)` : "");
  const cell = (point: CostPoint | null, w?: [number, number]) =>
    point ? `${usd(point.atMin)} / ${usd(point.atMax)}${range(w)}` : "—";
  return [
    "| monthly cost, min / max workers | |",
    "|---|--:|",
    `| before | ${cell(comparison.before, workers.before)} |`,
    `| after | ${cell(comparison.after, workers.after)} |`,
    `| **difference** | **${signedUsd(delta.atMin)} / ${signedUsd(delta.atMax)}** |`,
    "",
    `_On-demand list prices as of ${PRICES_AS_OF}, USD, usage (data, NLCU, EFS GB) not included: see docs/cost.md for each line item and its source._`,
  ].join("\n");
}
