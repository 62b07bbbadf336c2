import { describe, expect, it } from "vitest";
import {
  coversPort,
  egressRules,
  exampleConfig,
  ingressRules,
  listOf,
  resourcesOf,
  synthesize,
} from "./helpers";

/** Name of the HA example cluster. */
const HA = exampleConfig("ha").name;

const dev = synthesize(exampleConfig("dev")).json;
const ha = synthesize(exampleConfig("ha")).json;

describe("subnets", () => {
  it("puts one public, one private and one database subnet in each zone", () => {
    const config = exampleConfig("dev");
    const subnets = listOf(dev, "aws_subnet");
    expect(subnets).toHaveLength(9);
    for (const [index, zone] of config.network.availabilityZones.entries()) {
      const inZone = subnets.filter((subnet) => subnet.availability_zone === zone);
      expect(inZone.map((subnet) => subnet.cidr_block).sort()).toEqual(
        [
          config.network.subnets.public[index],
          config.network.subnets.private[index],
          config.network.subnets.database[index],
        ].sort(),
      );
    }
  });

  it("follows the zone count", () => {
    const config = exampleConfig("dev", (c) => {
      c.network.availabilityZones = ["eu-central-1a", "eu-central-1b"];
      c.network.azCount = 2;
      c.network.subnets = {
        public: ["10.20.192.0/22", "10.20.196.0/22"],
        private: ["10.20.0.0/19", "10.20.32.0/19"],
        database: ["10.20.224.0/22", "10.20.228.0/22"],
      };
    });
    const json = synthesize(config).json;
    expect(listOf(json, "aws_subnet")).toHaveLength(6);
    expect(listOf(json, "aws_efs_mount_target")).toHaveLength(2);
  });

  it("tags subnets for cloud-provider-aws load balancer placement", () => {
    const subnets = listOf(dev, "aws_subnet");
    const tagged = (key: string) =>
      subnets.filter((subnet) => (subnet.tags as Record<string, string>)[key] === "1");
    expect(tagged("kubernetes.io/role/elb").map((s) => s.cidr_block)).toEqual(
      exampleConfig("dev").network.subnets.public,
    );
    expect(tagged("kubernetes.io/role/internal-elb").map((s) => s.cidr_block)).toEqual(
      exampleConfig("dev").network.subnets.private,
    );
    const owned = subnets.filter(
      (subnet) => (subnet.tags as Record<string, string>)["kubernetes.io/cluster/dev"] === "owned",
    );
    // Public and private only: database subnets must never host a Service load balancer.
    expect(owned).toHaveLength(6);
  });

  it("keeps public subnets from handing out public addresses", () => {
    for (const subnet of listOf(dev, "aws_subnet")) {
      expect(subnet.map_public_ip_on_launch).toBe(false);
    }
  });
});

describe("NAT gateways", () => {
  it("creates one NAT gateway for natGateways: single", () => {
    expect(listOf(dev, "aws_nat_gateway")).toHaveLength(1);
    expect(listOf(dev, "aws_eip")).toHaveLength(1);
  });

  it("creates one NAT gateway per zone for natGateways: perAz", () => {
    expect(listOf(ha, "aws_nat_gateway")).toHaveLength(3);
    expect(listOf(ha, "aws_eip")).toHaveLength(3);
  });

  it("routes each private subnet's internet traffic through a NAT gateway", () => {
    for (const json of [dev, ha]) {
      const natRoutes = listOf(json, "aws_route").filter((route) => route.nat_gateway_id);
      expect(natRoutes).toHaveLength(3);
      const gateways = new Set(natRoutes.map((route) => route.nat_gateway_id));
      expect(gateways.size).toBe(listOf(json, "aws_nat_gateway").length);
    }
  });

  it("gives the database subnets no route out of the VPC", () => {
    const tables = resourcesOf(dev, "aws_route_table");
    const databaseTable = Object.entries(tables).find(
      ([, table]) => (table.tags as Record<string, string>).Name === "dev-database",
    );
    expect(databaseTable).toBeDefined();
    const routesOfDatabase = listOf(dev, "aws_route").filter((route) =>
      String(route.route_table_id).includes(`.${databaseTable?.[0]}.`),
    );
    expect(routesOfDatabase).toEqual([]);
  });
});

describe("security groups", () => {
  const all = [dev, ha];

  it("opens port 22 nowhere", () => {
    for (const json of all) {
      for (const rule of ingressRules(json)) {
        expect(coversPort(rule, 22), `${rule.group} ${rule.peer}`).toBe(false);
      }
    }
  });

  it("has no inline rules: every rule is its own resource with a description", () => {
    for (const json of all) {
      for (const group of listOf(json, "aws_security_group")) {
        expect(group.ingress).toBeUndefined();
        expect(group.egress).toBeUndefined();
      }
      for (const rule of [...ingressRules(json), ...egressRules(json)]) {
        expect(rule.description.length).toBeGreaterThan(10);
      }
    }
  });

  it("allows 0.0.0.0/0 in only on the ingress load balancer's 80 and 443", () => {
    for (const json of all) {
      const open = ingressRules(json).filter((rule) => rule.peer === "cidr:0.0.0.0/0");
      expect(open.map((rule) => [rule.group, rule.fromPort, rule.toPort])).toEqual(
        expect.arrayContaining([
          [expect.stringMatching(/-ingress-lb$/), 80, 80],
          [expect.stringMatching(/-ingress-lb$/), 443, 443],
        ]),
      );
      expect(open).toHaveLength(2);
    }
  });

  it("takes the ingress load balancer's sources from ingressCidrs", () => {
    const json = synthesize(
      exampleConfig("dev", (c) => {
        c.network.ingressCidrs = ["192.0.2.0/24"];
      }),
    ).json;
    const ingressLb = ingressRules(json).filter((rule) => rule.group === "dev-ingress-lb");
    expect(ingressLb.map((rule) => rule.peer)).toEqual(["cidr:192.0.2.0/24", "cidr:192.0.2.0/24"]);
    expect(ingressRules(json).some((rule) => rule.peer === "cidr:0.0.0.0/0")).toBe(false);
  });

  it("lets 6443 in only from adminCidrs and the NAT gateways (public API) to the load balancer, and from it and the nodes to the servers", () => {
    for (const [json, example] of [
      [dev, "dev"],
      [ha, "ha"],
    ] as const) {
      const config = exampleConfig(example);
      const name = config.name;
      const api = ingressRules(json).filter((rule) => coversPort(rule, 6443));
      const eips = Object.keys(resourcesOf(json, "aws_eip")).map((logical) => `eip:${logical}`);
      const toLb = api.filter((rule) => rule.group === `${name}-api-lb`);
      expect(toLb.map((rule) => rule.peer).sort()).toEqual(
        [...config.network.adminCidrs.map((cidr) => `cidr:${cidr}`), ...eips].sort(),
      );
      const toServers = api.filter((rule) => rule.group === `${name}-control-plane`);
      expect(toServers.map((rule) => rule.peer).sort()).toEqual(
        [`sg:${name}-api-lb`, `sg:${name}-node`].sort(),
      );
      expect(api).toHaveLength(toLb.length + toServers.length);
    }
  });

  it("lets the nodes' own group reach a private API load balancer instead of the NAT addresses", () => {
    const json = synthesize(
      exampleConfig("dev", (c) => {
        c.network.apiEndpoint = "private";
      }),
    ).json;
    const toLb = ingressRules(json).filter((rule) => rule.group === "dev-api-lb");
    expect(toLb.map((rule) => rule.peer).sort()).toEqual(["cidr:203.0.113.7/32", "sg:dev-node"]);
  });

  it("limits the load balancers' egress to their targets' ports", () => {
    const egress = egressRules(dev);
    const fromLbs = egress.filter((rule) => rule.group.endsWith("-lb"));
    expect(fromLbs.map((rule) => [rule.group, rule.peer, rule.fromPort]).sort()).toEqual(
      [
        ["dev-api-lb", "sg:dev-control-plane", 6443],
        ["dev-ingress-lb", "sg:dev-worker", 30080],
        ["dev-ingress-lb", "sg:dev-worker", 30443],
      ].sort(),
    );
    // Only the node group may send anywhere (package mirrors, AWS APIs).
    const anywhere = egress.filter((rule) => rule.peer === "cidr:0.0.0.0/0");
    expect(anywhere.map((rule) => rule.group)).toEqual(["dev-node"]);
  });

  it("lets the database be reached on 5432 from the servers only", () => {
    const toDatabase = ingressRules(dev).filter((rule) => rule.group === "dev-database");
    expect(toDatabase).toEqual([
      expect.objectContaining({ peer: "sg:dev-control-plane", fromPort: 5432, toPort: 5432 }),
    ]);
  });

  it("lets EFS be reached on 2049 from the nodes only", () => {
    const toEfs = ingressRules(dev).filter((rule) => rule.group === "dev-efs");
    expect(toEfs).toEqual([
      expect.objectContaining({
        peer: "sg:dev-node",
        fromPort: 2049,
        toPort: 2049,
        protocol: "tcp",
      }),
    ]);
  });

  it("opens VXLAN and the kubelet between nodes only", () => {
    const toNodes = ingressRules(dev).filter((rule) => rule.group === "dev-node");
    expect(toNodes.map((rule) => [rule.peer, rule.protocol, rule.fromPort]).sort()).toEqual(
      [
        ["sg:dev-node", "tcp", 10250],
        ["sg:dev-node", "udp", 8472],
      ].sort(),
    );
  });

  it("opens the ingress NodePorts on workers to the ingress load balancer only", () => {
    const toWorkers = ingressRules(dev).filter((rule) => rule.group === "dev-worker");
    expect(toWorkers.map((rule) => [rule.peer, rule.fromPort]).sort()).toEqual(
      [
        ["sg:dev-ingress-lb", 30080],
        ["sg:dev-ingress-lb", 30443],
      ].sort(),
    );
  });

  it("opens etcd 2379-2380 between servers only, and only with embedded etcd", () => {
    const etcdRules = (json: typeof dev) =>
      ingressRules(json).filter((rule) => coversPort(rule, 2379) || coversPort(rule, 2380));
    expect(etcdRules(dev)).toEqual([]);
    const etcd = synthesize(
      exampleConfig("ha", (c) => {
        c.datastore.engine = "etcd";
      }),
    ).json;
    expect(etcdRules(etcd)).toEqual([
      expect.objectContaining({
        group: `${HA}-control-plane`,
        peer: `sg:${HA}-control-plane`,
        fromPort: 2379,
        toPort: 2380,
      }),
    ]);
  });

  it("leaves out the groups of absent parts", () => {
    const json = synthesize(
      exampleConfig("dev", (c) => {
        c.datastore.engine = "etcd";
        c.storage.efs = false;
        c.addons.ingress = "none";
      }),
    ).json;
    const names = listOf(json, "aws_security_group").map((group) => group.name);
    expect(names.sort()).toEqual(["dev-api-lb", "dev-control-plane", "dev-node", "dev-worker"]);
  });
});
