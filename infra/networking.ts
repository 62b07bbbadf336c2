/**
 * The cluster's network: VPC, three subnet tiers per zone, internet and NAT gateways, and route
 * tables. Who may talk to whom is `security-groups.ts`.
 */

import { Eip } from "@cdktf/provider-aws/lib/eip";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Construct } from "constructs";
import { named, namePart } from "./addresses";
import { kubernetesClusterTag, nameTag } from "./naming";

export interface NetworkingProps {
  /** Prefixes the `Name` tags; the subnets the cluster's load balancers may use are tagged with it. */
  clusterName: string;
  vpcCidr: string;
  /** The zones, in order; every tier has one subnet per zone. */
  availabilityZones: readonly string[];
  /** One CIDR per zone and tier, in the order of `availabilityZones`. */
  subnets: {
    public: readonly string[];
    private: readonly string[];
    database: readonly string[];
  };
  /** One NAT gateway for the VPC (in the first zone), or one per zone. */
  natGateways: "single" | "perAz";
}

export class Networking extends Construct {
  readonly vpc: Vpc;
  /** One subnet per zone, in the order of `availabilityZones`. */
  readonly publicSubnets: Subnet[];
  readonly privateSubnets: Subnet[];
  readonly databaseSubnets: Subnet[];
  readonly internetGateway: InternetGateway;
  readonly natEips: Eip[];
  readonly natGateways: NatGateway[];
  readonly publicRouteTable: RouteTable;
  /** One per zone, each sending its zone's internet traffic to a NAT gateway. */
  readonly privateRouteTables: RouteTable[];
  /** The private subnets' routes to the NAT gateways: nodes need them from their first boot. */
  readonly privateDefaultRoutes: Route[] = [];
  /** No route out of the VPC: the database needs none. */
  readonly databaseRouteTable: RouteTable;

  constructor(scope: Construct, id: string, props: NetworkingProps) {
    super(scope, id);
    const zones = props.availabilityZones;
    const cluster = { name: props.clusterName };
    const clusterTag = kubernetesClusterTag(props.clusterName);

    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: props.vpcCidr,
      // Both are needed for EC2 private DNS names, which k3s nodes use as node names
      // (cloud-provider-aws requires it), and for EFS and RDS endpoint names.
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: nameTag(cluster, "vpc"),
    });
    named(this.vpc, "main");

    const subnetTier = (
      tier: "public" | "private" | "database",
      extraTags: Record<string, string>,
    ): Subnet[] =>
      zones.map((zone, index) => {
        const cidrBlock = props.subnets[tier][index];
        if (!cidrBlock) throw new Error(`no ${tier} subnet CIDR for zone ${zone}`);
        const subnet = new Subnet(this, `${tier}-subnet-${zone}`, {
          vpcId: this.vpc.id,
          availabilityZone: zone,
          cidrBlock,
          // Nothing is launched in public subnets but load balancers and NAT gateways.
          mapPublicIpOnLaunch: false,
          tags: { ...nameTag(cluster, `${tier}-${zone}`), ...extraTags },
        });
        return named(subnet, `${tier}_${namePart(zone)}`);
      });

    // Subnet tags cloud-provider-aws reads to place Service load balancers
    // (kubernetes.io/role/elb: internet-facing, kubernetes.io/role/internal-elb: internal).
    this.publicSubnets = subnetTier("public", { ...clusterTag, "kubernetes.io/role/elb": "1" });
    this.privateSubnets = subnetTier("private", {
      ...clusterTag,
      "kubernetes.io/role/internal-elb": "1",
    });
    // No cluster tag: the database subnets must never be picked for a Service load balancer.
    this.databaseSubnets = subnetTier("database", {});

    this.internetGateway = named(
      new InternetGateway(this, "internet-gateway", {
        vpcId: this.vpc.id,
        tags: nameTag(cluster, "igw"),
      }),
      "main",
    );

    this.publicRouteTable = named(
      new RouteTable(this, "public-route-table", {
        vpcId: this.vpc.id,
        tags: nameTag(cluster, "public"),
      }),
      "public",
    );
    named(
      new Route(this, "public-default-route", {
        routeTableId: this.publicRouteTable.id,
        destinationCidrBlock: "0.0.0.0/0",
        gatewayId: this.internetGateway.id,
      }),
      "public_default",
    );
    const associate = (tier: string, zone: string, subnet: Subnet, table: RouteTable) =>
      named(
        new RouteTableAssociation(this, `${tier}-route-association-${zone}`, {
          subnetId: subnet.id,
          routeTableId: table.id,
        }),
        `${tier}_${namePart(zone)}`,
      );
    this.publicSubnets.forEach((subnet, index) => {
      associate("public", zones[index] as string, subnet, this.publicRouteTable);
    });

    // One NAT gateway (cheaper) or one per zone (a zone outage does not cut the others off).
    const natZones = props.natGateways === "perAz" ? zones : zones.slice(0, 1);
    this.natEips = natZones.map((zone) =>
      named(
        new Eip(this, `nat-eip-${zone}`, {
          domain: "vpc",
          tags: nameTag(cluster, `nat-${zone}`),
        }),
        `nat_${namePart(zone)}`,
      ),
    );
    this.natGateways = natZones.map((zone, index) => {
      const eip = this.natEips[index] as Eip;
      const subnet = this.publicSubnets[index] as Subnet;
      return named(
        new NatGateway(this, `nat-gateway-${zone}`, {
          allocationId: eip.allocationId,
          subnetId: subnet.id,
          tags: nameTag(cluster, `nat-${zone}`),
          // A NAT gateway needs the VPC to have its internet gateway attached first.
          dependsOn: [this.internetGateway],
        }),
        namePart(zone),
      );
    });

    this.privateRouteTables = zones.map((zone, index) => {
      const table = named(
        new RouteTable(this, `private-route-table-${zone}`, {
          vpcId: this.vpc.id,
          tags: nameTag(cluster, `private-${zone}`),
        }),
        `private_${namePart(zone)}`,
      );
      const nat = this.natGateways[index] ?? (this.natGateways[0] as NatGateway);
      this.privateDefaultRoutes.push(
        named(
          new Route(this, `private-default-route-${zone}`, {
            routeTableId: table.id,
            destinationCidrBlock: "0.0.0.0/0",
            natGatewayId: nat.id,
          }),
          `private_${namePart(zone)}_default`,
        ),
      );
      associate("private", zone, this.privateSubnets[index] as Subnet, table);
      return table;
    });

    this.databaseRouteTable = named(
      new RouteTable(this, "database-route-table", {
        vpcId: this.vpc.id,
        tags: nameTag(cluster, "database"),
      }),
      "database",
    );
    this.databaseSubnets.forEach((subnet, index) => {
      associate("database", zones[index] as string, subnet, this.databaseRouteTable);
    });
  }
}
