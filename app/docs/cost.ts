/**
 * What the example clusters cost per month on demand (docs/cost.md; regenerate with
 * `tsx app/docs/write-cost.ts`, test/docs/cost.test.ts checks the committed file equals what
 * this produces from the examples now, so changing an example without the doc fails).
 *
 * Quantities come from the resolved definitions (instance types and counts, NAT gateways, load
 * balancers and their zones, database class, Multi-AZ and storage, root volumes); unit prices
 * from PRICES below, each with its source and whether it is an estimate. An example in a region
 * or with an instance type that PRICES does not list is an error, not a silent zero.
 */
import { resolve } from "node:path";
import type { ClusterConfig } from "../../infra/definition/config";
import { secretNames } from "../../infra/naming";
import { loadDefinitionFile } from "../engine/definitions/load";
import { formatProblems } from "../engine/definitions/problems";

export const COST_DOC_PATH = "docs/cost.md";
export const COST_EXAMPLES = ["examples/clusters/dev.yaml", "examples/clusters/ha.yaml"];
/** AWS's convention for monthly prices of hourly resources. */
export const HOURS_PER_MONTH = 730;
/** When the price facts below were taken (from knowledge of AWS's public price pages). */
export const PRICES_AS_OF = "2026-11";

/** `GB`: per GB of usage (shown for reference, never in a total). */
export type PriceUnit = "hour" | "GB-month" | "month" | "GB";

export interface PriceFact {
  usd: number;
  unit: PriceUnit;
  what: string;
  source: string;
  /** True where the figure is derived (e.g. scaled from another region) rather than recalled. */
  estimate: boolean;
}

const SOURCES = {
  ec2: "https://aws.amazon.com/ec2/pricing/on-demand/",
  ebs: "https://aws.amazon.com/ebs/pricing/",
  vpc: "https://aws.amazon.com/vpc/pricing/",
  elb: "https://aws.amazon.com/elasticloadbalancing/pricing/",
  rds: "https://aws.amazon.com/rds/postgresql/pricing/",
  efs: "https://aws.amazon.com/efs/pricing/",
  secrets: "https://aws.amazon.com/secrets-manager/pricing/",
  eks: "https://aws.amazon.com/eks/pricing/",
} as const;

export interface RegionPrices {
  /** Linux on-demand, per instance-hour. */
  ec2: Record<string, PriceFact>;
  /** RDS for PostgreSQL, Single-AZ, per instance-hour (Multi-AZ: twice, AWS's price list). */
  rdsPostgres: Record<string, PriceFact>;
  ebsGp3: PriceFact;
  rdsGp3Storage: PriceFact;
  natGateway: PriceFact;
  natDataProcessing: PriceFact;
  networkLoadBalancer: PriceFact;
  publicIpv4: PriceFact;
  efsStandard: PriceFact;
  secret: PriceFact;
  eksControlPlane: PriceFact;
}

const hourly = (usd: number, what: string, source: string, estimate = false): PriceFact => ({
  usd,
  unit: "hour",
  what,
  source,
  estimate,
});

/** On-demand prices by region; add a region (or an instance type) before an example uses it. */
export const PRICES: Record<string, RegionPrices> = {
  "eu-central-1": {
    ec2: {
      "t3.medium": hourly(0.048, "EC2 t3.medium, Linux", SOURCES.ec2),
      "t3.large": hourly(0.096, "EC2 t3.large, Linux", SOURCES.ec2),
      "m6i.large": hourly(0.115, "EC2 m6i.large, Linux", SOURCES.ec2),
    },
    rdsPostgres: {
      "db.t4g.small": hourly(
        0.037,
        "RDS for PostgreSQL db.t4g.small, Single-AZ",
        SOURCES.rds,
        true,
      ),
      "db.m6g.large": hourly(
        0.184,
        "RDS for PostgreSQL db.m6g.large, Single-AZ",
        SOURCES.rds,
        true,
      ),
    },
    ebsGp3: {
      usd: 0.0952,
      unit: "GB-month",
      what: "EBS gp3 storage",
      source: SOURCES.ebs,
      estimate: false,
    },
    rdsGp3Storage: {
      usd: 0.137,
      unit: "GB-month",
      what: "RDS gp3 storage, Single-AZ (Multi-AZ: twice)",
      source: SOURCES.rds,
      estimate: true,
    },
    natGateway: hourly(0.052, "NAT gateway", SOURCES.vpc),
    natDataProcessing: {
      usd: 0.052,
      unit: "GB",
      what: "NAT gateway data processed (usage, not in the totals)",
      source: SOURCES.vpc,
      estimate: false,
    },
    networkLoadBalancer: hourly(
      0.027,
      "Network Load Balancer (NLCU usage not in the totals)",
      SOURCES.elb,
    ),
    publicIpv4: hourly(0.005, "Public IPv4 address (NAT EIPs, internet-facing NLBs)", SOURCES.vpc),
    efsStandard: {
      usd: 0.36,
      unit: "GB-month",
      what: "EFS Standard storage (usage, not in the totals)",
      source: SOURCES.efs,
      estimate: false,
    },
    secret: {
      usd: 0.4,
      unit: "month",
      what: "Secrets Manager secret",
      source: SOURCES.secrets,
      estimate: false,
    },
    eksControlPlane: hourly(0.1, "EKS cluster control plane (standard support)", SOURCES.eks),
  },
};

export interface LineItem {
  item: string;
  quantity: number;
  price: PriceFact;
  /** 730 for hourly prices, 1 for monthly ones. */
  hours: number;
  monthly: number;
  /** Also part of an EKS cluster with the same workers (control plane aside). */
  keptOnEks: boolean;
}

export interface ClusterCost {
  config: ClusterConfig;
  /** Workers at `workers.min`. */
  items: LineItem[];
  total: number;
  /** The same with workers at `workers.max`. */
  totalAtMax: number;
  /** EKS control plane plus the worker-side items, at min workers. */
  eksTotal: number;
  eksTotalAtMax: number;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

function priceOf(table: Record<string, PriceFact>, key: string, region: string): PriceFact {
  const price = table[key];
  if (!price)
    throw new Error(`no ${region} price for ${key}: add it to PRICES in app/docs/cost.ts`);
  return price;
}

function item(item: string, quantity: number, price: PriceFact, keptOnEks: boolean): LineItem {
  if (price.unit === "GB") throw new Error(`${price.what} is usage-based, not a line item`);
  const hours = price.unit === "hour" ? HOURS_PER_MONTH : 1;
  return { item, quantity, price, hours, monthly: round2(quantity * price.usd * hours), keptOnEks };
}

/** The line items of a cluster with `workers` worker nodes. */
export function lineItems(config: ClusterConfig, workers = config.workers.min): LineItem[] {
  const prices = PRICES[config.region];
  if (!prices) {
    throw new Error(`no prices for ${config.region}: add the region to PRICES in app/docs/cost.ts`);
  }
  const zones = config.network.availabilityZones.length;
  const { controlPlane, datastore } = config;
  const items = [
    item(
      `k3s servers (${controlPlane.instanceType})`,
      controlPlane.count,
      priceOf(prices.ec2, controlPlane.instanceType, config.region),
      false,
    ),
    item(
      `workers (${config.workers.instanceType}${config.workers.spot ? ", on-demand price; Spot is cheaper" : ""})`,
      workers,
      priceOf(prices.ec2, config.workers.instanceType, config.region),
      true,
    ),
    item(
      `server root volumes (${controlPlane.rootVolumeGb} GB gp3 each), GB`,
      controlPlane.count * controlPlane.rootVolumeGb,
      prices.ebsGp3,
      false,
    ),
    item(
      `worker root volumes (${config.workers.rootVolumeGb} GB gp3 each), GB`,
      workers * config.workers.rootVolumeGb,
      prices.ebsGp3,
      true,
    ),
  ];
  const natGateways = config.network.natGateways === "perAz" ? zones : 1;
  items.push(
    item(`NAT gateways (${config.network.natGateways})`, natGateways, prices.natGateway, true),
  );
  const publicApi = config.network.apiEndpoint === "public";
  const ingress = config.addons.ingress !== "none";
  items.push(item("NLB for the Kubernetes API", 1, prices.networkLoadBalancer, false));
  if (ingress) items.push(item("NLB for ingress", 1, prices.networkLoadBalancer, true));
  items.push(
    item(
      `public IPv4 addresses: NAT${publicApi ? ` + API NLB (${zones} zones)` : ""}`,
      natGateways + (publicApi ? zones : 0),
      prices.publicIpv4,
      false,
    ),
  );
  if (ingress) {
    items.push(
      item(`public IPv4 addresses: ingress NLB (${zones} zones)`, zones, prices.publicIpv4, true),
    );
  }
  if (datastore.engine === "postgres") {
    const copies = datastore.multiAz ? 2 : 1;
    items.push(
      item(
        `RDS PostgreSQL ${datastore.instanceClass}${datastore.multiAz ? ", Multi-AZ (2 ×)" : ""}`,
        copies,
        priceOf(prices.rdsPostgres, datastore.instanceClass, config.region),
        false,
      ),
      item(
        `RDS storage (${datastore.storageGb} GB gp3${datastore.multiAz ? ", Multi-AZ 2 ×" : ""}), GB`,
        copies * datastore.storageGb,
        prices.rdsGp3Storage,
        false,
      ),
    );
  }
  // The stack's own secrets (naming.ts), plus the master password RDS keeps for PostgreSQL.
  const secrets =
    Object.keys(secretNames(config)).length + (datastore.engine === "postgres" ? 1 : 0);
  items.push(
    item(
      `Secrets Manager (join token, agent token, kubeconfig${datastore.engine === "postgres" ? ", RDS master password" : ""})`,
      secrets,
      prices.secret,
      false,
    ),
  );
  return items;
}

const sum = (items: LineItem[]) => round2(items.reduce((total, i) => total + i.monthly, 0));

export function clusterCost(config: ClusterConfig): ClusterCost {
  const prices = PRICES[config.region] as RegionPrices;
  const items = lineItems(config);
  const atMax = lineItems(config, config.workers.max);
  const eks = (list: LineItem[]) =>
    round2(sum(list.filter((i) => i.keptOnEks)) + prices.eksControlPlane.usd * HOURS_PER_MONTH);
  return {
    config,
    items,
    total: sum(items),
    totalAtMax: sum(atMax),
    eksTotal: eks(items),
    eksTotalAtMax: eks(atMax),
  };
}

export function loadExample(root: string, file: string): ClusterConfig {
  const loaded = loadDefinitionFile(resolve(root, file));
  if (!loaded.ok) throw new Error(formatProblems(loaded.problems));
  return loaded.config;
}

// ---------------------------------------------------------------------------------------------
// The document

const usd = (value: number) =>
  `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const UNIT_SUFFIX: Record<PriceUnit, string> = {
  hour: "/h",
  "GB-month": "/GB-month",
  month: "/month",
  GB: "/GB",
};
/** At least cents, and every digit the price has ($0.40, $0.0952). */
const unitPrice = (price: PriceFact) => {
  const decimals = Math.max(2, (String(price.usd).split(".")[1] ?? "").length);
  return `$${price.usd.toFixed(decimals)}${UNIT_SUFFIX[price.unit]}`;
};

function clusterSection(cost: ClusterCost, file: string): string[] {
  const { config } = cost;
  const rows = cost.items.map(
    (i) =>
      `| ${i.item} | ${i.quantity} | ${unitPrice(i.price)}${i.price.estimate ? " *" : ""} | ${i.hours} | ${usd(i.monthly)} |`,
  );
  const eksPrice = (PRICES[config.region] as RegionPrices).eksControlPlane;
  const eksRows = cost.items
    .filter((i) => i.keptOnEks)
    .map((i) => `${i.item} ${usd(i.monthly)}`)
    .join(" + ");
  const etcd = structuredClone(config);
  etcd.datastore.engine = "etcd";
  const etcdNote =
    config.datastore.engine === "postgres"
      ? ` With \`datastore.engine: etcd\` (no RDS, no master-password secret) the same cluster costs ${usd(clusterCost(etcd).total)}.`
      : "";
  return [
    `## \`${config.name}\` (${file}, ${config.region})`,
    "",
    `${config.controlPlane.count} × ${config.controlPlane.instanceType} server${config.controlPlane.count > 1 ? "s" : ""}, ${config.workers.min}–${config.workers.max} × ${config.workers.instanceType} workers, ${config.network.natGateways === "perAz" ? "a NAT gateway per zone" : "one NAT gateway"}, ${config.datastore.engine === "postgres" ? `RDS ${config.datastore.instanceClass}${config.datastore.multiAz ? " Multi-AZ" : ""}` : "embedded etcd"}, ${config.network.availabilityZones.length} zones. Workers at their minimum (${config.workers.min}):`,
    "",
    "| line item | quantity | unit price | hours | per month |",
    "|---|---:|---:|---:|---:|",
    ...rows,
    `| **total, ${config.workers.min} worker${config.workers.min === 1 ? "" : "s"}** | | | | **${usd(cost.total)}** |`,
    `| total at the maximum of ${config.workers.max} workers | | | | ${usd(cost.totalAtMax)} |`,
    "",
    ...(etcdNote ? [etcdNote.trim(), ""] : []),
    `**Against EKS with the same workers:** ${usd(cost.eksTotal)} per month (${usd(cost.eksTotalAtMax)} at ${config.workers.max} workers), ${usd(Math.abs(cost.total - cost.eksTotal))} ${cost.eksTotal <= cost.total ? "less" : "more"} than this k3s cluster = EKS control plane ${unitPrice(eksPrice)} × ${HOURS_PER_MONTH} h ${usd(eksPrice.usd * HOURS_PER_MONTH)} + ${eksRows}. EKS replaces the k3s servers, their volumes, the API load balancer and its addresses, the datastore and the cluster secrets (its control plane is highly available across zones at that one price). Add-ons run on the workers in both setups.`,
    "",
  ];
}

/** docs/cost.md, from the example definitions. */
export function costDocument(root: string, files: string[] = COST_EXAMPLES): string {
  const costs = files.map((file) => ({ file, cost: clusterCost(loadExample(root, file)) }));
  const regions = [...new Set(costs.map(({ cost }) => cost.config.region))];
  const facts = regions.flatMap((region) => {
    const prices = PRICES[region] as RegionPrices;
    const all: PriceFact[] = [
      ...Object.values(prices.ec2),
      ...Object.values(prices.rdsPostgres),
      prices.ebsGp3,
      prices.rdsGp3Storage,
      prices.natGateway,
      prices.natDataProcessing,
      prices.networkLoadBalancer,
      prices.publicIpv4,
      prices.efsStandard,
      prices.secret,
      prices.eksControlPlane,
    ];
    return all.map(
      (p) =>
        `| ${region} | ${p.what} | ${unitPrice(p)} | ${p.estimate ? "estimate" : "list price"} | ${p.source} |`,
    );
  });
  return [
    "<!-- Generated by `tsx app/docs/write-cost.ts` from app/docs/cost.ts and examples/clusters/*.yaml; do not edit. -->",
    "# What the example clusters cost",
    "",
    `Monthly on-demand cost of the two example clusters, each line = quantity × unit price × hours (${HOURS_PER_MONTH} h a month for hourly prices, 1 for monthly ones). Prices in USD, before tax, without Savings Plans, Reserved Instances or the free tier. **Prices are as of ${PRICES_AS_OF}, from knowledge of AWS's public price pages (linked below), not fetched live; check them before you rely on them.** Figures marked * are estimates.`,
    "",
    ...costs.flatMap(({ file, cost }) => clusterSection(cost, file)),
    "## Not in the totals (usage-based)",
    "",
    "- Data: NAT gateway processing (per GB through the NAT, e.g. image pulls), data transfer out to the internet, cross-zone traffic between nodes and the datastore.",
    "- NLB capacity units (NLCU-hours): charged by new connections, active connections and bytes; small for a quiet cluster.",
    "- EFS: per GB stored (Standard) and, with Elastic throughput, per GB read and written; an empty file system costs nothing.",
    "- S3 (state, saved plans) and DynamoDB on-demand (the bot's locks): cents a month at the bot's request rates.",
    "- CloudWatch alarms of the CPU target-tracking policy (two, about $0.10 each), RDS backup storage beyond the database's size, EBS snapshots.",
    "",
    "## Price facts",
    "",
    `Taken ${PRICES_AS_OF}. "estimate": the figure is not a recalled list price but derived (RDS in eu-central-1 scaled from the us-east-1 list price by the region's usual ratio); confirm it on the page.`,
    "",
    "| region | what | price | kind | source |",
    "|---|---|---:|---|---|",
    ...facts,
    "",
  ].join("\n");
}
