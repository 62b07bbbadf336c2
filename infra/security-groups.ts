/**
 * Who may talk to whom: one security group per part of the cluster, and every rule its own
 * `aws_vpc_security_group_ingress_rule`/`egress_rule` with a description (no inline rules), so a
 * plan shows exactly which rule changes and a reviewer can read each one.
 */

import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { named } from "./addresses";
import { kubernetesClusterTag, nameTag } from "./naming";
import { PORTS } from "./ports";

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
  name: string,
  target: SecurityGroup,
  source: Source,
  rule: RuleSpec,
): VpcSecurityGroupIngressRule {
  const resource = new VpcSecurityGroupIngressRule(scope, name, {
    securityGroupId: target.id,
    description: rule.description,
    ipProtocol: rule.protocol,
    fromPort: rule.fromPort,
    toPort: rule.toPort ?? rule.fromPort,
    ...("cidr" in source
      ? { cidrIpv4: source.cidr }
      : { referencedSecurityGroupId: source.securityGroup.id }),
  });
  return named(resource, name);
}

/** One egress rule on `from` to the security group `to`. */
function allowEgressTo(
  scope: Construct,
  name: string,
  from: SecurityGroup,
  to: SecurityGroup,
  rule: RuleSpec,
): VpcSecurityGroupEgressRule {
  const resource = new VpcSecurityGroupEgressRule(scope, name, {
    securityGroupId: from.id,
    description: rule.description,
    ipProtocol: rule.protocol,
    fromPort: rule.fromPort,
    toPort: rule.toPort ?? rule.fromPort,
    referencedSecurityGroupId: to.id,
  });
  return named(resource, name);
}

export interface ClusterSecurityGroupsProps {
  /** Prefixes the groups' names and `Name` tags. */
  clusterName: string;
  vpcId: string;
  /** Who may reach the Kubernetes API load balancer. */
  adminCidrs: readonly string[];
  /** Who may reach the ingress load balancer; unused without `ingress`. */
  ingressCidrs: readonly string[];
  /** An internet-facing API load balancer sees the nodes by their NAT gateways' addresses. */
  apiEndpoint: "public" | "private";
  /** Public IPs of the NAT gateways (resource attributes), for a public API endpoint. */
  natPublicIps: readonly string[];
  /** Servers run embedded etcd and talk to each other on its ports. */
  embeddedEtcd: boolean;
  /** Groups and rules for an ingress load balancer in front of the workers' NodePorts. */
  ingress: boolean;
  /** A group for the RDS datastore, reachable from the servers only. */
  database: boolean;
  /** A group for EFS mount targets, reachable from every node. */
  efs: boolean;
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

  constructor(scope: Construct, id: string, props: ClusterSecurityGroupsProps) {
    super(scope, id);
    const cluster = { name: props.clusterName };

    /** `what` names the group in AWS (`<cluster>-<what>`); `address` in Terraform. */
    const group = (
      what: string,
      address: string,
      description: string,
      extraTags: Record<string, string> = {},
    ) =>
      named(
        new SecurityGroup(this, what, {
          name: `${props.clusterName}-${what}`,
          description,
          vpcId: props.vpcId,
          tags: { ...nameTag(cluster, what), ...extraTags },
        }),
        address,
      );

    this.apiLoadBalancer = group("api-lb", "api_lb", "Kubernetes API load balancer");
    this.controlPlane = group("control-plane", "servers", "k3s servers");
    // Only the node group carries the cluster tag: cloud-provider-aws adds its Service load
    // balancer rules to the one tagged group of an instance, and fails if it finds several.
    this.nodes = group("node", "nodes", "All k3s nodes", kubernetesClusterTag(props.clusterName));
    this.worker = group("worker", "workers", "k3s agents");

    const api = { protocol: "tcp", fromPort: PORTS.kubernetesApi } as const;

    // --- Kubernetes API load balancer ---
    props.adminCidrs.forEach((cidr, index) => {
      allowIngress(
        this,
        `api_lb_from_admin_${index}`,
        this.apiLoadBalancer,
        { cidr },
        {
          ...api,
          description: `Kubernetes API from admin network ${cidr}`,
        },
      );
    });
    if (props.apiEndpoint === "public") {
      // An internet-facing load balancer sees nodes (which join through it) by the public
      // addresses of the NAT gateways they leave the VPC through.
      props.natPublicIps.forEach((publicIp, index) => {
        allowIngress(
          this,
          `api_lb_from_nat_${index}`,
          this.apiLoadBalancer,
          { cidr: `${publicIp}/32` },
          { ...api, description: "Kubernetes API from the cluster's nodes, through NAT gateway" },
        );
      });
    } else {
      allowIngress(
        this,
        "api_lb_from_nodes",
        this.apiLoadBalancer,
        { securityGroup: this.nodes },
        {
          ...api,
          description: "Kubernetes API from the cluster's nodes",
        },
      );
    }
    allowEgressTo(this, "api_lb_to_servers", this.apiLoadBalancer, this.controlPlane, {
      ...api,
      description: "Kubernetes API and health checks to k3s servers",
    });

    // --- k3s servers ---
    allowIngress(
      this,
      "servers_from_api_lb",
      this.controlPlane,
      { securityGroup: this.apiLoadBalancer },
      { ...api, description: "Kubernetes API from its load balancer" },
    );
    allowIngress(
      this,
      "servers_from_nodes",
      this.controlPlane,
      { securityGroup: this.nodes },
      {
        ...api,
        description: "Kubernetes API and k3s supervisor from nodes",
      },
    );
    if (props.embeddedEtcd) {
      allowIngress(
        this,
        "servers_etcd_from_servers",
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
      "nodes_vxlan_from_nodes",
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
      "nodes_kubelet_from_nodes",
      this.nodes,
      { securityGroup: this.nodes },
      {
        protocol: "tcp",
        fromPort: PORTS.kubelet,
        description: "Kubelet API (logs, exec, metrics) between nodes",
      },
    );
    named(
      new VpcSecurityGroupEgressRule(this, "node-egress-all", {
        securityGroupId: this.nodes.id,
        description: "Nodes reach package mirrors, k3s releases, AWS APIs and each other",
        ipProtocol: "-1",
        cidrIpv4: "0.0.0.0/0",
      }),
      "nodes_all",
    );

    // --- ingress load balancer → workers ---
    if (props.ingress) {
      const ingressLb = group("ingress-lb", "ingress_lb", "Ingress load balancer");
      this.ingressLoadBalancer = ingressLb;
      props.ingressCidrs.forEach((cidr, index) => {
        for (const port of [PORTS.http, PORTS.https]) {
          allowIngress(
            this,
            `ingress_lb_${port}_from_${index}`,
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
        allowEgressTo(this, `ingress_lb_to_workers_${nodePort}`, ingressLb, this.worker, rule);
        allowIngress(
          this,
          `workers_${nodePort}_from_ingress_lb`,
          this.worker,
          { securityGroup: ingressLb },
          rule,
        );
      }
    }

    // --- datastore ---
    if (props.database) {
      const database = group("database", "database", "k3s datastore (RDS PostgreSQL)");
      this.database = database;
      allowIngress(
        this,
        "database_from_servers",
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
    if (props.efs) {
      const efs = group("efs", "efs", "EFS mount targets");
      this.efs = efs;
      allowIngress(
        this,
        "efs_from_nodes",
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
