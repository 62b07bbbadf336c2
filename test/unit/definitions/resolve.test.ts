import { describe, expect, it } from "vitest";
import {
  clusterZones,
  defaultStateKey,
  planSubnets,
  resolveCluster,
} from "../../../infra/definition/resolve";
import {
  type ClusterDefinitionInput,
  ClusterDefinitionSchema,
} from "../../../infra/definition/schema";

function definition(overrides: Partial<ClusterDefinitionInput> = {}) {
  return ClusterDefinitionSchema.parse({
    name: "dev",
    region: "eu-central-1",
    network: { adminCidrs: ["203.0.113.7/32"] },
    state: { bucket: "acme-tfstate" },
    ...overrides,
  });
}

describe("resolveCluster", () => {
  it("takes the region's first azCount zones and carves the default VPC", () => {
    const config = resolveCluster(definition());
    expect(config.partition).toBe("aws");
    expect(config.network.availabilityZones).toEqual([
      "eu-central-1a",
      "eu-central-1b",
      "eu-central-1c",
    ]);
    expect(config.network.subnets).toEqual({
      private: ["10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19"],
      public: ["10.20.192.0/22", "10.20.196.0/22", "10.20.200.0/22"],
      database: ["10.20.224.0/22", "10.20.228.0/22", "10.20.232.0/22"],
    });
    expect(config.state).toEqual({
      bucket: "acme-tfstate",
      lockTable: "k3s-bot-locks",
      key: "k3s/dev/terraform.tfstate",
      region: "eu-central-1",
    });
    expect(config).not.toHaveProperty("$schema");
  });

  it("skips letters a region does not have (ap-northeast-1 has a, c, d)", () => {
    const config = resolveCluster(definition({ region: "ap-northeast-1" }));
    expect(config.network.availabilityZones).toEqual([
      "ap-northeast-1a",
      "ap-northeast-1c",
      "ap-northeast-1d",
    ]);
  });

  it("uses listed zones and their count", () => {
    const config = resolveCluster(
      definition({
        region: "us-west-1",
        network: {
          adminCidrs: ["203.0.113.7/32"],
          availabilityZones: ["us-west-1b", "us-west-1c"],
        },
      }),
    );
    expect(config.network.availabilityZones).toEqual(["us-west-1b", "us-west-1c"]);
    expect(config.network.azCount).toBe(2);
    expect(config.network.subnets.private).toEqual(["10.20.0.0/19", "10.20.32.0/19"]);
  });

  it("keeps explicit subnets and carves the tiers that are not listed", () => {
    const config = resolveCluster(
      definition({
        network: {
          vpcCidr: "10.50.0.0/16",
          azCount: 2,
          adminCidrs: ["203.0.113.7/32"],
          subnets: { private: ["10.50.0.0/18", "10.50.64.0/18"] },
        },
      }),
    );
    expect(config.network.subnets).toEqual({
      private: ["10.50.0.0/18", "10.50.64.0/18"],
      public: ["10.50.192.0/22", "10.50.196.0/22"],
      database: ["10.50.224.0/22", "10.50.228.0/22"],
    });
  });

  it("takes the partition from the region and keeps an explicit state key and region", () => {
    const config = resolveCluster(
      definition({
        region: "cn-north-1",
        state: { bucket: "acme-tfstate", key: "clusters/dev.tfstate", region: "cn-northwest-1" },
      }),
    );
    expect(config.partition).toBe("aws-cn");
    expect(config.network.availabilityZones).toEqual(["cn-north-1a", "cn-north-1b", "cn-north-1d"]);
    expect(config.state.key).toBe("clusters/dev.tfstate");
    expect(config.state.region).toBe("cn-northwest-1");
  });

  it("throws on a definition the rules would have rejected", () => {
    expect(() => resolveCluster(definition({ region: "eu-centrl-1" }))).toThrow("unknown region");
    expect(() => resolveCluster(definition({ region: "us-west-1" }))).toThrow(
      "cannot choose zones",
    );
  });
});

describe("planSubnets", () => {
  it("carves the smallest VPC (/22) into /25 private and /28 public and database subnets", () => {
    expect(planSubnets("10.0.0.0/22", 3)).toEqual({
      private: ["10.0.0.0/25", "10.0.0.128/25", "10.0.1.0/25"],
      public: ["10.0.3.0/28", "10.0.3.16/28", "10.0.3.32/28"],
      database: ["10.0.3.128/28", "10.0.3.144/28", "10.0.3.160/28"],
    });
  });

  it("fits six zones without overlap", () => {
    const plan = planSubnets("10.20.0.0/16", 6);
    expect(plan.private.at(-1)).toBe("10.20.160.0/19");
    expect(plan.public.at(-1)).toBe("10.20.212.0/22");
    expect(plan.database[0]).toBe("10.20.224.0/22");
  });
});

describe("clusterZones and defaultStateKey", () => {
  it("returns undefined when the zones cannot be chosen", () => {
    expect(clusterZones("us-west-1", { azCount: 2 })).toBeUndefined();
    expect(clusterZones("eu-central-1", { azCount: 4 })).toBeUndefined();
    expect(clusterZones("nowhere-1", { azCount: 2 })).toBeUndefined();
  });

  it("names the state object after the cluster", () => {
    expect(defaultStateKey("prod")).toBe("k3s/prod/terraform.tfstate");
  });
});
