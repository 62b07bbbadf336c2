/**
 * The plan comment's cost: before, after and the difference at min and max workers, by the
 * same arithmetic and price facts as docs/cost.md (app/docs/cost.ts PRICES), recomputed here
 * from the price table by hand.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { clusterCost, HOURS_PER_MONTH, PRICES } from "../../../app/docs/cost";
import { loadDefinition } from "../../../app/engine/definitions/load";
import { compareCost, costDelta, costMarkdown } from "../../../app/engine/plan/plan-cost";
import type { ClusterConfig } from "../../../infra/definition/config";

const text = readFileSync(join(__dirname, "../../../examples/clusters/dev.yaml"), "utf8");
function load(source: string): ClusterConfig {
  const loaded = loadDefinition(source, "clusters/dev.yaml");
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.config;
}
const base = load(text);
const ec2 = PRICES["eu-central-1"]?.ec2 ?? {};
const hourly = (type: string) => ec2[type]?.usd ?? Number.NaN;
const gp3 = PRICES["eu-central-1"]?.ebsGp3.usd ?? Number.NaN;

describe("the cost of a plan", () => {
  it("is the docs/cost.md total for a new cluster, at min and max workers", () => {
    const comparison = compareCost(null, base);
    expect(comparison).toEqual({
      kind: "priced",
      before: null,
      after: { atMin: clusterCost(base).total, atMax: clusterCost(base).totalAtMax },
    });
    // The committed document says the same.
    const doc = readFileSync(join(__dirname, "../../../docs/cost.md"), "utf8");
    expect(doc).toContain(`**$${clusterCost(base).total.toFixed(2)}**`);
  });

  it("changes by the instance price difference × hours × workers for bigger workers", () => {
    const head = load(text.replace("instanceType: t3.large", "instanceType: m6i.large"));
    const comparison = compareCost(base, head);
    if (comparison.kind !== "priced") throw new Error(comparison.reason);
    const perWorker = (hourly("m6i.large") - hourly("t3.large")) * HOURS_PER_MONTH;
    const delta = costDelta(comparison);
    expect(delta.atMin).toBeCloseTo(perWorker * base.workers.min, 1);
    expect(delta.atMax).toBeCloseTo(perWorker * base.workers.max, 1);
    expect(delta.atMin).toBeCloseTo(13.87, 2);
    expect(delta.atMax).toBeCloseTo(41.61, 2);
    expect(costMarkdown(comparison, { before: [1, 3], after: [1, 3] })).toContain(
      "| **difference** | **+$13.87 / +$41.61** |",
    );
  });

  it("counts more workers at the maximum only, with their root volumes", () => {
    const head = load(text.replace("max: 3", "max: 5"));
    const comparison = compareCost(base, head);
    if (comparison.kind !== "priced") throw new Error(comparison.reason);
    const perWorker = hourly("t3.large") * HOURS_PER_MONTH + base.workers.rootVolumeGb * gp3;
    expect(costDelta(comparison).atMin).toBe(0);
    expect(costDelta(comparison).atMax).toBeCloseTo(2 * perWorker, 1);
  });

  it("is negative for a destroyed cluster", () => {
    const comparison = compareCost(base, null);
    if (comparison.kind !== "priced") throw new Error(comparison.reason);
    expect(costDelta(comparison).atMin).toBe(-clusterCost(base).total);
    expect(costMarkdown(comparison, { before: [1, 3] })).toContain("| after | — |");
  });

  it("says so, instead of counting zero, where the price table has no region", () => {
    const head = load(text.replace("region: eu-central-1", "region: ap-southeast-2"));
    const comparison = compareCost(base, head);
    expect(comparison.kind).toBe("unpriced");
    expect(costMarkdown(comparison, {})).toContain("not estimated: no prices for ap-southeast-2");
  });
});
