/**
 * docs/cost.md is what app/docs/cost.ts computes from the example definitions now: changing an
 * example (or a price fact) without regenerating (`tsx app/docs/write-cost.ts`) fails here.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  COST_DOC_PATH,
  COST_EXAMPLES,
  clusterCost,
  costDocument,
  HOURS_PER_MONTH,
  lineItems,
  loadExample,
  PRICES,
} from "../../app/docs/cost";

const ROOT = join(import.meta.dirname, "..", "..");
const dev = () => loadExample(ROOT, "examples/clusters/dev.yaml");
const ha = () => loadExample(ROOT, "examples/clusters/ha.yaml");
const item = (items: ReturnType<typeof lineItems>, fragment: string) => {
  const found = items.filter((i) => i.item.includes(fragment));
  if (found.length !== 1) throw new Error(`${found.length} line items like ${fragment}`);
  return found[0] as (typeof found)[number];
};

describe("docs/cost.md", () => {
  it("is what the generator computes from the examples now (tsx app/docs/write-cost.ts)", () => {
    expect(readFileSync(join(ROOT, COST_DOC_PATH), "utf8")).toBe(costDocument(ROOT));
  });

  it("README's figures are the generator's (monthly, at max, EKS, and dev's per day)", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const usd = (n: number) =>
      `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    for (const cost of [clusterCost(dev()), clusterCost(ha())]) {
      const row = readme.split("\n").find((line) => line.startsWith(`| \`${cost.config.name}\``));
      expect(row, cost.config.name).toContain(usd(cost.total));
      expect(row, cost.config.name).toContain(usd(cost.totalAtMax));
      expect(row, cost.config.name).toContain(usd(cost.eksTotal));
    }
    const devCost = clusterCost(dev());
    const perDay = (devCost.total * 12) / 365;
    expect(readme).toContain(`about ${usd(perDay)} a day (${usd(devCost.total)} a month`);
  });

  it("changes when an example changes", () => {
    const config = dev();
    const before = clusterCost(config).total;
    config.workers.instanceType = "m6i.large";
    config.controlPlane.count = 3;
    expect(clusterCost(config).total).toBeGreaterThan(before);
    expect(
      lineItems(config)
        .map((i) => i.item)
        .join("\n"),
    ).toContain("m6i.large");
  });

  it("refuses an instance type or region it has no price for, instead of counting it as free", () => {
    const config = dev();
    config.workers.instanceType = "c7g.metal";
    expect(() => clusterCost(config)).toThrow(/no eu-central-1 price for c7g.metal/);
    const elsewhere = dev();
    elsewhere.region = "ap-south-2";
    expect(() => clusterCost(elsewhere)).toThrow(/no prices for ap-south-2/);
  });

  it("prices every line as quantity × unit price × hours, and totals the lines", () => {
    for (const file of COST_EXAMPLES) {
      const cost = clusterCost(loadExample(ROOT, file));
      for (const i of cost.items) {
        expect(i.hours).toBe(i.price.unit === "hour" ? HOURS_PER_MONTH : 1);
        expect(i.monthly).toBeCloseTo(i.quantity * i.price.usd * i.hours, 2);
      }
      const sum = cost.items.reduce((total, i) => total + i.monthly, 0);
      expect(cost.total).toBeCloseTo(sum, 2);
      expect(cost.totalAtMax).toBeGreaterThan(cost.total);
    }
  });

  it("counts what the dev example defines", () => {
    const config = dev();
    const items = lineItems(config);
    const prices = PRICES["eu-central-1"];
    expect(item(items, "k3s servers").quantity).toBe(1);
    expect(item(items, "k3s servers").price).toBe(prices?.ec2["t3.medium"]);
    expect(item(items, "workers (").quantity).toBe(config.workers.min);
    expect(item(items, "NAT gateways").quantity).toBe(1);
    // One public address per NAT gateway and per zone of each internet-facing load balancer.
    expect(item(items, "NAT + API NLB").quantity).toBe(1 + 3);
    expect(item(items, "ingress NLB (").quantity).toBe(3);
    expect(item(items, "RDS PostgreSQL").quantity).toBe(1);
    expect(item(items, "server root volumes").quantity).toBe(30);
  });

  it("counts what the ha example defines: servers, NAT per zone, Multi-AZ database", () => {
    const config = ha();
    const items = lineItems(config);
    expect(item(items, "k3s servers").quantity).toBe(3);
    expect(item(items, "workers (").quantity).toBe(3);
    expect(item(items, "NAT gateways").quantity).toBe(3);
    expect(item(items, "RDS PostgreSQL").quantity).toBe(2);
    expect(item(items, "RDS storage").quantity).toBe(2 * config.datastore.storageGb);
    expect(
      lineItems(config, config.workers.max).find((i) => i.item.startsWith("workers"))?.quantity,
    ).toBe(12);
  });

  it("compares with EKS: control plane at $0.10/h plus the same worker-side items", () => {
    const cost = clusterCost(dev());
    const workerSide = cost.items.filter((i) => i.keptOnEks).reduce((t, i) => t + i.monthly, 0);
    expect(cost.eksTotal).toBeCloseTo(0.1 * 730 + workerSide, 2);
    expect(cost.items.filter((i) => i.keptOnEks).map((i) => i.item)).not.toContain(
      "NLB for the Kubernetes API",
    );
  });

  it("states the date of the prices, their sources and which are estimates", () => {
    const doc = costDocument(ROOT);
    expect(doc).toContain("as of 2026-11");
    expect(doc).toMatch(/\| estimate \|/);
    expect(doc).toContain("https://aws.amazon.com/ec2/pricing/on-demand/");
    for (const fact of Object.values(PRICES["eu-central-1"]?.ec2 ?? {})) {
      expect(fact.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
    }
  });
});
