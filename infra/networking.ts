/**
 * The cluster's network: VPC, three subnet tiers per zone, internet and NAT gateways, route
 * tables, and the security groups that say who may talk to whom.
 *
 * Security groups hold no inline rules: every rule is its own
 * `aws_vpc_security_group_ingress_rule`/`egress_rule` with a description, so a plan shows
 * exactly which rule changes, and a reviewer can read each one.
 */

import { Eip } from "@cdktf/provider-aws/lib/eip";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import type { ClusterConfig } from "./definition/config";
import { kubernetesClusterTag, nameTag } from "./naming";

/** Ports the cluster uses, named once (k3s "Inbound rules for k3s nodes", docs.k3s.io). */
export const PORTS = {
  kubernetesApi: 6443,
  etcdClient: 2379,
  etcdPeer: 2380,
  flannelVxlan: 8472,
  kubelet: 10250,
  postgres: 5432,
  nfs: 2049,
  http: 80,
  https: 443,
  /** NodePorts of the ingress controller's Service; the bootstrap pins them to these values. */
  ingressHttpNodePort: 30080,
  ingressHttpsNodePort: 30443,
} as const;

type Source = { cidr: string } | { securityGroup: SecurityGroup };

interface RuleSpec {
  description: string;
  protocol: "tcp" | "udp";
  fromPort: number;
  toPort?: number;
}

/** One ingress rule on `target` from `source` (a CIDR block or another security group). */
function allowIngress(
  scope: Construct,
  id: string,
  target: SecurityGroup,
  source: Source,
  rule: RuleSpec,
): VpcSecurityGroupIngressRule {
  return new VpcSecurityGroupIngressRule(scope, id, {
    securityGroupId: target.id,
    description: rule.description,
    ipProtocol: rule.protocol,
    fromPort: rule.fromPort,
    toPort: rule.toPort ?? rule.fromPort,
    ...("cidr" in source
      ? { cidrIpv4: source.cidr }
      : { referencedSecurityGroupId: source.securityGroup.id }),
  });
}

/** One egress rule on `from` to the security group `to`. */
function allowEgressTo(
  scope: Construct,
  id: string,
  from: SecurityGroup,
  to: SecurityGroup,
  rule: RuleSpec,
): VpcSecurityGroupEgressRule {
  return new VpcSecurityGroupEgressRule(scope, id, {
    securityGroupId: from.id,
    description: rule.description,
    ipProtocol: rule.protocol,
    fromPort: rule.fromPort,
    toPort: rule.toPort ?? rule.fromPort,
    referencedSecurityGroupId: to.id,
  });
}

export class Networking extends Construct {
  readonly vpc: Vpc;
  /** One subnet per zone, in the order of `config.network.availabilityZones`. */
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
  readonly securityGroups: ClusterSecurityGroups;

  constructor(scope: Construct, id: string, config: ClusterConfig) {
    super(scope, id);
    const { network } = config;
    const zones = network.availabilityZones;
    const clusterTag = kubernetesClusterTag(config.name);

    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: network.vpcCidr,
      // Both are needed for EC2 private DNS names, which k3s nodes use as node names
      // (cloud-provider-aws requires it), and for EFS and RDS endpoint names.
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: nameTag(config, "vpc"),
    });

    const subnetTier = (
      tier: "public" | "private" | "database",
      extraTags: Record<string, string>,
    ): Subnet[] =>
      zones.map((zone, index) => {
        const cidrBlock = network.subnets[tier][index];
        if (!cidrBlock) throw new Error(`no ${tier} subnet CIDR for zone ${zone}`);
        return new Subnet(this, `${tier}-subnet-${zone}`, {
          vpcId: this.vpc.id,
          availabilityZone: zone,
          cidrBlock,
          // Nothing is launched in public subnets but load balancers and NAT gateways.
          mapPublicIpOnLaunch: false,
          tags: { ...nameTag(config, `${tier}-${zone}`), ...extraTags },
        });
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

    this.internetGateway = new InternetGateway(this, "internet-gateway", {
      vpcId: this.vpc.id,
      tags: nameTag(config, "igw"),
    });

    this.publicRouteTable = new RouteTable(this, "public-route-table", {
      vpcId: this.vpc.id,
      tags: nameTag(config, "public"),
    });
    new Route(this, "public-default-route", {
      routeTableId: this.publicRouteTable.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: this.internetGateway.id,
    });
    this.publicSubnets.forEach((subnet, index) => {
      new RouteTableAssociation(this, `public-route-association-${zones[index]}`, {
        subnetId: subnet.id,
        routeTableId: this.publicRouteTable.id,
      });
    });

    // One NAT gateway (cheaper) or one per zone (a zone outage does not cut the others off).
    const natZones = network.natGateways === "perAz" ? zones : zones.slice(0, 1);
    this.natEips = natZones.map(
      (zone) =>
        new Eip(this, `nat-eip-${zone}`, {
          domain: "vpc",
          tags: nameTag(config, `nat-${zone}`),
        }),
    );
    this.natGateways = natZones.map((zone, index) => {
      const eip = this.natEips[index] as Eip;
      const subnet = this.publicSubnets[index] as Subnet;
      return new NatGateway(this, `nat-gateway-${zone}`, {
        allocationId: eip.allocationId,
        subnetId: subnet.id,
        tags: nameTag(config, `nat-${zone}`),
        // A NAT gateway needs the VPC to have its internet gateway attached first.
        dependsOn: [this.internetGateway],
      });
    });

    this.privateRouteTables = zones.map((zone, index) => {
      const table = new RouteTable(this, `private-route-table-${zone}`, {
        vpcId: this.vpc.id,
        tags: nameTag(config, `private-${zone}`),
      });
      const nat = this.natGateways[index] ?? (this.natGateways[0] as NatGateway);
      this.privateDefaultRoutes.push(
        new Route(this, `private-default-route-${zone}`, {
          routeTableId: table.id,
          destinationCidrBlock: "0.0.0.0/0",
          natGatewayId: nat.id,
        }),
      );
      new RouteTableAssociation(this, `private-route-association-${zone}`, {
        subnetId: (this.privateSubnets[index] as Subnet).id,
        routeTableId: table.id,
      });
      return table;
    });

    this.databaseRouteTable = new RouteTable(this, "database-route-table", {
      vpcId: this.vpc.id,
      tags: nameTag(config, "database"),
    });
    this.databaseSubnets.forEach((subnet, index) => {
      new RouteTableAssociation(this, `database-route-association-${zones[index]}`, {
        subnetId: subnet.id,
        routeTableId: this.databaseRouteTable.id,
      });
    });

    this.securityGroups = new ClusterSecurityGroups(this, "security-groups", {
      config,
      vpc: this.vpc,
      natEips: this.natEips,
    });
  }
}

interface SecurityGroupsProps {
  config: ClusterConfig;
  vpc: Vpc;
  natEips: Eip[];
}

/**
 * Least privilege between the cluster's parts. No rule opens port 22: operators reach nodes
 * through SSM Session Manager. Nodes may reach anything outbound (package mirrors, k3s
 * downloads, AWS APIs); load balancers may reach only their targets' ports.
 */
export class ClusterSecurityGroups extends Construct {
  /** The Kubernetes API load balancer. */
  readonly apiLoadBalancer: SecurityGroup;
  /** k3s servers. */
  readonly controlPlane: SecurityGroup;
  /** Every node, server or agent: the overlay network and kubelets. */
  readonly nodes: SecurityGroup;
  /** k3s agents. */
  readonly worker: SecurityGroup;
  /** The ingress load balancer; absent when `addons.ingress` is `none`. */
  readonly ingressLoadBalancer?: SecurityGroup;
  /** The RDS datastore; absent with embedded etcd. */
  readonly database?: SecurityGroup;
  /** EFS mount targets; absent without EFS. */
  readonly efs?: SecurityGroup;

  constructor(scope: Construct, id: string, props: SecurityGroupsProps) {
    super(scope, id);
    const { config, vpc, natEips } = props;
    const { network } = config;

    const group = (name: string, description: string, extraTags: Record<string, string> = {}) =>
      new SecurityGroup(this, name, {
        name: `${config.name}-${name}`,
        description,
        vpcId: vpc.id,
        tags: { ...nameTag(config, name), ...extraTags },
      });

    this.apiLoadBalancer = group("api-lb", "Kubernetes API load balancer");
    this.controlPlane = group("control-plane", "k3s servers");
    // Only the node group carries the cluster tag: cloud-provider-aws adds its Service load
    // balancer rules to the one tagged group of an instance, and fails if it finds several.
    this.nodes = group("node", "All k3s nodes", kubernetesClusterTag(config.name));
    this.worker = group("worker", "k3s agents");

    const api = { protocol: "tcp", fromPort: PORTS.kubernetesApi } as const;

    // --- Kubernetes API load balancer ---
    network.adminCidrs.forEach((cidr, index) => {
      allowIngress(
        this,
        `api-lb-from-admin-${index}`,
        this.apiLoadBalancer,
        { cidr },
        {
          ...api,
          description: `Kubernetes API from admin network ${cidr}`,
        },
      );
    });
    if (network.apiEndpoint === "public") {
      // An internet-facing load balancer sees nodes (which join through it) by the public
      // addresses of the NAT gateways they leave the VPC through.
      natEips.forEach((eip, index) => {
        allowIngress(
          this,
          `api-lb-from-nat-${index}`,
          this.apiLoadBalancer,
          { cidr: `${eip.publicIp}/32` },
          { ...api, description: "Kubernetes API from the cluster's nodes, through NAT gateway" },
        );
      });
    } else {
      allowIngress(
        this,
        "api-lb-from-nodes",
        this.apiLoadBalancer,
        { securityGroup: this.nodes },
        {
          ...api,
          description: "Kubernetes API from the cluster's nodes",
        },
      );
    }
    allowEgressTo(this, "api-lb-to-control-plane", this.apiLoadBalancer, this.controlPlane, {
      ...api,
      description: "Kubernetes API and health checks to k3s servers",
    });

    // --- k3s servers ---
    allowIngress(
      this,
      "control-plane-from-api-lb",
      this.controlPlane,
      { securityGroup: this.apiLoadBalancer },
      { ...api, description: "Kubernetes API from its load balancer" },
    );
    allowIngress(
      this,
      "control-plane-from-nodes",
      this.controlPlane,
      { securityGroup: this.nodes },
      {
        ...api,
        description: "Kubernetes API and k3s supervisor from nodes",
      },
    );
    if (config.datastore.engine === "etcd") {
      allowIngress(
        this,
        "control-plane-etcd-from-control-plane",
        this.controlPlane,
        { securityGroup: this.controlPlane },
        {
          protocol: "tcp",
          fromPort: PORTS.etcdClient,
          toPort: PORTS.etcdPeer,
          description: "Embedded etcd client and peer traffic between servers",
        },
      );
    }

    // --- all nodes ---
    allowIngress(
      this,
      "node-vxlan-from-nodes",
      this.nodes,
      { securityGroup: this.nodes },
      {
        protocol: "udp",
        fromPort: PORTS.flannelVxlan,
        description: "Flannel VXLAN overlay between nodes",
      },
    );
    allowIngress(
      this,
      "node-kubelet-from-nodes",
      this.nodes,
      { securityGroup: this.nodes },
      {
        protocol: "tcp",
        fromPort: PORTS.kubelet,
        description: "Kubelet API (logs, exec, metrics) between nodes",
      },
    );
    new VpcSecurityGroupEgressRule(this, "node-egress-all", {
      securityGroupId: this.nodes.id,
      description: "Nodes reach package mirrors, k3s releases, AWS APIs and each other",
      ipProtocol: "-1",
      cidrIpv4: "0.0.0.0/0",
    });

    // --- ingress load balancer → workers ---
    if (config.addons.ingress !== "none") {
      const ingressLb = group("ingress-lb", "Ingress load balancer");
      this.ingressLoadBalancer = ingressLb;
      network.ingressCidrs.forEach((cidr, index) => {
        for (const port of [PORTS.http, PORTS.https]) {
          allowIngress(
            this,
            `ingress-lb-${port}-from-${index}`,
            ingressLb,
            { cidr },
            {
              protocol: "tcp",
              fromPort: port,
              description: `Ingress port ${port} from ${cidr}`,
            },
          );
        }
      });
      for (const nodePort of [PORTS.ingressHttpNodePort, PORTS.ingressHttpsNodePort]) {
        const rule = {
          protocol: "tcp",
          fromPort: nodePort,
          description: `Ingress controller NodePort ${nodePort} and its health check`,
        } as const;
        allowEgressTo(this, `ingress-lb-to-worker-${nodePort}`, ingressLb, this.worker, rule);
        allowIngress(
          this,
          `worker-${nodePort}-from-ingress-lb`,
          this.worker,
          { securityGroup: ingressLb },
          rule,
        );
      }
    }

    // --- datastore ---
    if (config.datastore.engine === "postgres") {
      const database = group("database", "k3s datastore (RDS PostgreSQL)");
      this.database = database;
      allowIngress(
        this,
        "database-from-control-plane",
        database,
        { securityGroup: this.controlPlane },
        {
          protocol: "tcp",
          fromPort: PORTS.postgres,
          description: "PostgreSQL from k3s servers only",
        },
      );
    }

    // --- shared storage ---
    if (config.storage.efs) {
      const efs = group("efs", "EFS mount targets");
      this.efs = efs;
      allowIngress(
        this,
        "efs-from-nodes",
        efs,
        { securityGroup: this.nodes },
        {
          protocol: "tcp",
          fromPort: PORTS.nfs,
          description: "NFS from nodes (EFS CSI driver mounts)",
        },
      );
    }
  }
}
