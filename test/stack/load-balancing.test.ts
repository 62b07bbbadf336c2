import { describe, expect, it } from "vitest";
import { exampleConfig, listOf, referencedName, resourceAt, synthesize } from "./helpers";

const dev = synthesize(exampleConfig("dev")).json;

describe("Kubernetes API load balancer", () => {
  const api = resourceAt(dev, "aws_lb.api");
  const targets = resourceAt(dev, "aws_lb_target_group.api");

  it("is an internet-facing NLB in the public subnets, with its security group, cross-zone", () => {
    expect(api).toMatchObject({
      name: "dev-api",
      load_balancer_type: "network",
      internal: false,
      enable_cross_zone_load_balancing: true,
    });
    const subnets = (api.subnets as string[]).map(referencedName);
    expect(subnets.every((name) => name?.startsWith("public_"))).toBe(true);
    expect(subnets).toHaveLength(3);
    expect((api.security_groups as string[]).map(referencedName)).toEqual(["api_lb"]);
  });

  it("is internal, in the private subnets, when the API endpoint is private", () => {
    const json = synthesize(
      exampleConfig("dev", (c) => {
        c.network.apiEndpoint = "private";
      }),
    ).json;
    const privateApi = resourceAt(json, "aws_lb.api");
    expect(privateApi.internal).toBe(true);
    const subnets = (privateApi.subnets as string[]).map(referencedName);
    expect(subnets.every((name) => name?.startsWith("private_"))).toBe(true);
  });

  it("forwards TCP 6443 to a target group health-checked on HTTPS /ping (no credentials needed)", () => {
    expect(targets).toMatchObject({
      port: 6443,
      protocol: "TCP",
      target_type: "instance",
      health_check: { protocol: "HTTPS", path: "/ping", port: "traffic-port", matcher: "200" },
    });
    const listener = resourceAt(dev, "aws_lb_listener.api");
    expect(listener).toMatchObject({ port: 6443, protocol: "TCP" });
    expect(referencedName(listener.load_balancer_arn)).toBe("api");
  });

  it("does not preserve client addresses, so servers can join through it (no NLB hairpin)", () => {
    expect(targets.preserve_client_ip).toBe("false");
  });
});

describe("ingress load balancer", () => {
  it("forwards 80 and 443 to the ingress NodePorts with TCP health checks", () => {
    const ingress = resourceAt(dev, "aws_lb.ingress");
    expect(ingress).toMatchObject({ name: "dev-ingress", internal: false });
    const groups = listOf(dev, "aws_lb_target_group").filter((group) =>
      String(group.name).startsWith("dev-ing-"),
    );
    expect(groups.map((group) => [group.name, group.port]).sort()).toEqual([
      ["dev-ing-http", 30080],
      ["dev-ing-https", 30443],
    ]);
    for (const group of groups) {
      expect(group.health_check).toMatchObject({ protocol: "TCP" });
    }
    const ports = listOf(dev, "aws_lb_listener")
      .map((listener) => listener.port)
      .sort();
    expect(ports).toEqual([443, 6443, 80].sort());
  });

  it("is left out entirely when addons.ingress is none", () => {
    const json = synthesize(
      exampleConfig("dev", (c) => {
        c.addons.ingress = "none";
      }),
    ).json;
    expect(listOf(json, "aws_lb")).toHaveLength(1);
    expect(listOf(json, "aws_lb_target_group")).toHaveLength(1);
    expect(listOf(json, "aws_lb_listener")).toHaveLength(1);
    expect(json.output?.ingress_dns).toBeUndefined();
    const workers = resourceAt(json, "aws_autoscaling_group.workers");
    expect(workers.target_group_arns).toEqual([]);
  });

  it("keeps every load balancer and target group name within 32 characters", () => {
    const longest = synthesize(
      exampleConfig("dev", (c) => {
        c.name = "a-twenty-char-name-x";
      }),
    ).json;
    const names = [
      ...listOf(longest, "aws_lb").map((lb) => String(lb.name)),
      ...listOf(longest, "aws_lb_target_group").map((group) => String(group.name)),
    ];
    expect(names).toHaveLength(5);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(32);
  });
});
