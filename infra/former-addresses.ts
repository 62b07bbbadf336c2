/**
 * The addresses cdktf gave the stack's resources before they were named (infra/addresses.ts),
 * and the `moved` blocks that carry an applied cluster's state over to the readable names, so
 * that the rename replaces nothing (docs/architecture.md, "Resource addresses").
 *
 * A former address is the resource's construct path below the stack as it was then, hashed by
 * cdktf's own function (`hashedLogicalId`), never a copied string. The paths are written out per
 * resource below; test/stack/addresses.test.ts holds them to the addresses the stack really
 * synthesized before the rename (test/fixtures/pre-rename/). Keep this table for as long as a
 * cluster applied before the rename may still be planned: a `moved` block whose `from` is not in
 * the state costs nothing. A resource added since has no entry and gets no `moved` block.
 * The stack has no `count` or `for_each` resources, so every move is of one whole resource.
 */
import { TerraformResource, type TerraformStack } from "cdktf";
import { hashedLogicalId, namePart } from "./addresses";
import type { ClusterConfig } from "./definition/config";
import { PORTS } from "./ports";

/** The node pools, by their name today and the word their construct ids used. */
const POOLS = [
  { pool: "servers", former: "control-plane" },
  { pool: "workers", former: "worker" },
] as const;

/** Every inline node policy name either pool has had; an entry for an absent one is unused. */
const NODE_POLICY_NAMES = [
  "agent-token",
  "bootstrap-failure",
  "cloud-controller-manager",
  "cloud-provider-node",
  "cluster-autoscaler",
  "cluster-secrets",
  "efs-csi-controller",
  "efs-csi-node",
  "worker-drain",
];

/** Readable address → construct path below the stack that cdktf hashed before the rename. */
export function formerPaths(config: ClusterConfig): Map<string, string[]> {
  const paths = new Map<string, string[]>();
  const add = (address: string, ...path: string[]) => paths.set(address, path);
  const zones = config.network.availabilityZones;

  // infra/networking.ts: the Networking construct at "networking".
  add("aws_vpc.main", "networking", "vpc");
  add("aws_internet_gateway.main", "networking", "internet-gateway");
  add("aws_route_table.public", "networking", "public-route-table");
  add("aws_route.public_default", "networking", "public-default-route");
  add("aws_route_table.database", "networking", "database-route-table");
  for (const zone of zones) {
    const z = namePart(zone);
    for (const tier of ["public", "private", "database"]) {
      add(`aws_subnet.${tier}_${z}`, "networking", `${tier}-subnet-${zone}`);
      add(
        `aws_route_table_association.${tier}_${z}`,
        "networking",
        `${tier}-route-association-${zone}`,
      );
    }
    add(`aws_route_table.private_${z}`, "networking", `private-route-table-${zone}`);
    add(`aws_route.private_${z}_default`, "networking", `private-default-route-${zone}`);
    add(`aws_eip.nat_${z}`, "networking", `nat-eip-${zone}`);
    add(`aws_nat_gateway.${z}`, "networking", `nat-gateway-${zone}`);
    add(`aws_efs_mount_target.${z}`, "storage", `mount-target-${zone}`);
  }

  // infra/security-groups.ts: then a child of Networking, at "networking/security-groups".
  const sg = (address: string, id: string) => add(address, "networking", "security-groups", id);
  const groups: Record<string, string> = {
    api_lb: "api-lb",
    servers: "control-plane",
    nodes: "node",
    workers: "worker",
    ingress_lb: "ingress-lb",
    database: "database",
    efs: "efs",
  };
  for (const [name, id] of Object.entries(groups)) sg(`aws_security_group.${name}`, id);
  const ingress = "aws_vpc_security_group_ingress_rule";
  const egress = "aws_vpc_security_group_egress_rule";
  config.network.adminCidrs.forEach((_, i) => {
    sg(`${ingress}.api_lb_from_admin_${i}`, `api-lb-from-admin-${i}`);
  });
  zones.forEach((_, i) => {
    sg(`${ingress}.api_lb_from_nat_${i}`, `api-lb-from-nat-${i}`);
  });
  config.network.ingressCidrs.forEach((_, i) => {
    for (const port of [PORTS.http, PORTS.https]) {
      sg(`${ingress}.ingress_lb_${port}_from_${i}`, `ingress-lb-${port}-from-${i}`);
    }
  });
  for (const nodePort of [PORTS.ingressHttpNodePort, PORTS.ingressHttpsNodePort]) {
    sg(`${egress}.ingress_lb_to_workers_${nodePort}`, `ingress-lb-to-worker-${nodePort}`);
    sg(`${ingress}.workers_${nodePort}_from_ingress_lb`, `worker-${nodePort}-from-ingress-lb`);
  }
  sg(`${ingress}.api_lb_from_nodes`, "api-lb-from-nodes");
  sg(`${egress}.api_lb_to_servers`, "api-lb-to-control-plane");
  sg(`${ingress}.servers_from_api_lb`, "control-plane-from-api-lb");
  sg(`${ingress}.servers_from_nodes`, "control-plane-from-nodes");
  sg(`${ingress}.servers_etcd_from_servers`, "control-plane-etcd-from-control-plane");
  sg(`${ingress}.nodes_vxlan_from_nodes`, "node-vxlan-from-nodes");
  sg(`${ingress}.nodes_kubelet_from_nodes`, "node-kubelet-from-nodes");
  sg(`${egress}.nodes_all`, "node-egress-all");
  sg(`${ingress}.database_from_servers`, "database-from-control-plane");
  sg(`${ingress}.efs_from_nodes`, "efs-from-nodes");

  // infra/vpc-audit.ts
  add("aws_cloudwatch_log_group.vpc_flow_logs", "vpc-audit", "flow-log-group");
  add("aws_iam_role.vpc_flow_logs", "vpc-audit", "flow-log-role");
  add("aws_iam_role_policy.vpc_flow_logs_delivery", "vpc-audit", "flow-log-delivery");
  add("aws_flow_log.vpc", "vpc-audit", "flow-log");

  // infra/load-balancing.ts
  add("aws_lb.api", "load-balancing", "api");
  add("aws_lb_target_group.api", "load-balancing", "api-targets");
  add("aws_lb_listener.api", "load-balancing", "api-listener");
  add("aws_lb.ingress", "load-balancing", "ingress");
  add("aws_lb_target_group.ingress_http", "load-balancing", "ingress-http-targets");
  add("aws_lb_target_group.ingress_https", "load-balancing", "ingress-https-targets");
  add("aws_lb_listener.ingress_http", "load-balancing", `ingress-listener-${PORTS.http}`);
  add("aws_lb_listener.ingress_https", "load-balancing", `ingress-listener-${PORTS.https}`);

  // infra/database.ts and infra/storage.ts
  add("aws_db_subnet_group.datastore", "database", "subnet-group");
  add("aws_db_parameter_group.datastore", "database", "parameter-group");
  add("aws_db_instance.datastore", "database", "instance");
  add("aws_efs_file_system.shared", "storage", "file-system");
  add("aws_efs_backup_policy.shared", "storage", "backup-policy");

  // infra/compute.ts, infra/cluster-secrets.ts, infra/node-identity.ts, infra/node-pool.ts:
  // all then directly in Compute, at "compute".
  for (const secret of ["join-token", "agent-token", "kubeconfig"]) {
    add(`aws_secretsmanager_secret.${namePart(secret)}`, "compute", secret);
  }
  for (const { pool, former } of POOLS) {
    const identity = `${former}-identity`;
    add(`aws_iam_role.${pool}`, "compute", identity, "role");
    add(`aws_iam_instance_profile.${pool}`, "compute", identity, "instance-profile");
    add(`aws_iam_role_policy_attachment.${pool}_ssm`, "compute", identity, "ssm");
    for (const policy of NODE_POLICY_NAMES) {
      add(
        `aws_iam_role_policy.${pool}_${namePart(policy)}`,
        "compute",
        identity,
        `policy-${policy}`,
      );
    }
    add(`aws_launch_template.${pool}`, "compute", `${former}-launch-template`);
    add(`aws_autoscaling_group.${pool}`, "compute", `${former}-group`);
  }
  add("aws_autoscaling_lifecycle_hook.workers_drain", "compute", "worker-drain-hook");
  add("aws_autoscaling_policy.workers_cpu", "compute", "worker-cpu-policy");
  return paths;
}

/** Adds `moved { from = <former address>, to = <address> }` to every resource that had one. */
export function moveFromFormerAddresses(stack: TerraformStack, config: ClusterConfig): void {
  const paths = formerPaths(config);
  for (const node of stack.node.findAll()) {
    if (!TerraformResource.isTerraformResource(node)) continue;
    const type = node.terraformResourceType;
    const path = paths.get(`${type}.${node.friendlyUniqueId}`);
    if (path) node.moveFromId(`${type}.${hashedLogicalId(path)}`);
  }
}
