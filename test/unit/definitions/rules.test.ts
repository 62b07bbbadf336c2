/**
 * The rules on their own, without YAML: what the loader relies on (paths, expected, found)
 * and the parts that depend on what was written rather than defaulted.
 */
import { describe, expect, it } from "vitest";
import { checkClusterRules, closestMatch, levenshtein } from "../../../infra/definition/rules";
import {
  type ClusterDefinitionInput,
  ClusterDefinitionSchema,
} from "../../../infra/definition/schema";

const base: ClusterDefinitionInput = {
  name: "dev",
  region: "eu-central-1",
  network: { adminCidrs: ["203.0.113.7/32"] },
  state: { bucket: "acme-tfstate" },
};

function rulesFor(
  input: ClusterDefinitionInput,
  written: ClusterDefinitionInput | undefined = input,
) {
  return checkClusterRules(ClusterDefinitionSchema.parse(input), written);
}

describe("checkClusterRules", () => {
  it("passes both defaults and a typical definition", () => {
    expect(rulesFor(base)).toEqual([]);
  });

  it("allows a single server on embedded etcd", () => {
    expect(
      rulesFor({ ...base, datastore: { engine: "etcd" }, controlPlane: { count: 1 } }),
    ).toEqual([]);
  });

  it("allows two servers on PostgreSQL, where the servers keep no quorum (docs.k3s.io/datastore/ha)", () => {
    expect(rulesFor({ ...base, controlPlane: { count: 2 } })).toEqual([]);
  });

  it("refuses two servers on embedded etcd, which needs an odd number of members", () => {
    const problems = rulesFor({
      ...base,
      controlPlane: { count: 2 },
      datastore: { engine: "etcd" },
    });
    expect(problems.map((problem) => [problem.path.join("."), problem.expected])).toEqual([
      ["controlPlane.count", "1 or 3"],
    ]);
  });

  it("refuses a written cpuTarget with the cluster-autoscaler, but not its default", () => {
    const workers = { scaling: "clusterAutoscaler" as const };
    expect(rulesFor({ ...base, workers })).toEqual([]);
    expect(
      rulesFor({ ...base, workers: { ...workers, cpuTarget: 70 } }).map((p) => p.path.join(".")),
    ).toEqual(["workers.cpuTarget"]);
  });

  it("does not judge the RDS class of an etcd cluster, which has no database", () => {
    expect(
      rulesFor({ ...base, datastore: { engine: "etcd", instanceClass: "db.t2.micro" } }),
    ).toEqual([]);
  });

  it("lets listed zones set the zone count when azCount was not written", () => {
    const input = {
      ...base,
      network: {
        adminCidrs: ["203.0.113.7/32"],
        availabilityZones: ["eu-central-1a", "eu-central-1b"],
      },
    };
    expect(rulesFor(input)).toEqual([]);
    // Without what was written, the defaulted azCount (3) counts as written and disagrees.
    expect(checkClusterRules(ClusterDefinitionSchema.parse(input))).toEqual([
      {
        path: ["network", "availabilityZones"],
        message: "lists 2 zones but network.azCount is 3; they must agree (or leave azCount out)",
        expected: "3 zones",
      },
    ]);
  });

  it("says when workers.max is a default", () => {
    expect(rulesFor({ ...base, workers: { min: 5 } })).toEqual([
      {
        path: ["workers", "min"],
        message: "must be ≤ workers.max (3, the default)",
        expected: "≤ 3",
        found: "5",
      },
    ]);
  });

  it("refuses a state bucket region in another partition", () => {
    const problems = rulesFor({
      ...base,
      state: { bucket: "acme-tfstate", region: "us-gov-west-1" },
    });
    expect(problems.map((problem) => problem.message)).toEqual([
      "is in the aws-us-gov partition but the cluster is in aws; one set of credentials cannot reach both",
    ]);
  });

  it("requires listed zones in a region whose letters differ between accounts, then accepts them", () => {
    expect(rulesFor({ ...base, region: "us-west-1" }).map((problem) => problem.path)).toEqual([
      ["network", "availabilityZones"],
    ]);
    expect(
      rulesFor({
        ...base,
        region: "us-west-1",
        network: {
          adminCidrs: ["203.0.113.7/32"],
          availabilityZones: ["us-west-1a", "us-west-1c"],
        },
      }),
    ).toEqual([]);
  });
});

describe("closestMatch", () => {
  it.each([
    ["eu-centrl-1", ["eu-central-1", "eu-west-1"], "eu-central-1"],
    ["instancetype", ["instanceType", "count"], "instanceType"],
    ["foo", ["workers", "network"], undefined],
    ["db.t4g.smal", ["db.t4g.small", "db.t4g.large"], "db.t4g.small"],
  ])("%s among %j → %s", (word, candidates, expected) => {
    expect(closestMatch(word, candidates)).toBe(expected);
  });

  it("measures edit distance", () => {
    expect(levenshtein("kitten", "sitting")).toBe(3);
    expect(levenshtein("", "abc")).toBe(3);
    expect(levenshtein("same", "same")).toBe(0);
  });
});
