/**
 * The loader against bad definitions (the table is in bad-definitions.ts), every problem at once,
 * the problems' format, the name check and loading from a file.
 */
import { describe, expect, it } from "vitest";
import { loadDefinition, loadDefinitionFile } from "../../../app/engine/definitions/load";
import { type DefinitionProblem, formatProblems } from "../../../app/engine/definitions/problems";
import { badDefinitions, dedent, MINIMAL, minimal } from "./bad-definitions";

const FILE = "clusters/dev.yaml";

function problemsOf(text: string, file = FILE): DefinitionProblem[] {
  const result = loadDefinition(text, file);
  if (result.ok) throw new Error("expected the definition to be rejected");
  return result.problems;
}

describe("loadDefinition rejects bad definitions", () => {
  it.each(badDefinitions)("$name → $field", (badCase) => {
    const problems = problemsOf(badCase.yaml);
    const match = problems.find(
      (problem) => problem.field === badCase.field && problem.message.includes(badCase.message),
    );
    expect(match, formatProblems(problems)).toBeDefined();
    expect(match?.file).toBe(FILE);
    expect(match?.line).toBe(badCase.line);
    if (badCase.column !== undefined) expect(match?.column).toBe(badCase.column);
    if (badCase.found !== undefined) expect(match?.found).toBe(badCase.found);
    // One mistake, one problem: no echoes of the same mistake elsewhere.
    expect(problems, formatProblems(problems)).toHaveLength(1);
  });

  it("has at least 30 cases", () => {
    expect(badDefinitions.length).toBeGreaterThanOrEqual(30);
  });
});

describe("loadDefinition reports every problem at once", () => {
  it("lists all schema problems, in file order", () => {
    const problems = problemsOf(
      dedent(`
        name: dev
        region: eu-central-1
        network:
          adminCidrs: [203.0.113.7]
          azCount: "3"
        workers:
          min: -1
          spot: yes
        addon:
          jenkins: true
      `),
    );
    expect(problems.map((problem) => `${problem.line}:${problem.column} ${problem.field}`)).toEqual(
      [
        "1:1 state",
        "4:16 network.adminCidrs[0]",
        "5:12 network.azCount",
        "7:8 workers.min",
        "8:9 workers.spot",
        "9:1 addon",
      ],
    );
    expect(problems.at(-1)?.message).toBe("unknown key `addon`; did you mean `addons`?");
  });

  it("lists all rule problems once the schema passes", () => {
    const problems = problemsOf(
      dedent(`
        name: dev
        region: eu-central-1
        network:
          vpcCidr: 10.20.0.0/16
          adminCidrs: [203.0.113.7/32]
        controlPlane: { count: 4 }
        workers: { min: 4, max: 2 }
        datastore: { instanceClass: db.t2.small }
        k3s: { clusterCidr: 10.20.0.0/16 }
        state: { bucket: acme-tfstate }
      `),
    );
    expect(problems.map((problem) => problem.field)).toEqual([
      "controlPlane.count",
      "workers.min",
      "datastore.instanceClass",
      "k3s.clusterCidr",
    ]);
  });

  it("reports field, region and cross-field problems of a ten-mistake file in one pass", () => {
    const problems = problemsOf(
      dedent(`
        name: prod
        region: eu-centrl-1
        network:
          adminCidrs: [203.0.113.7/24]
          azCount: "3"
        controlPlane: { count: 4, instanceType: t3.micro }
        workers: { min: 5, max: 2, spot: yes, scaling: clusterAutoscaler, cpuTarget: 50 }
        datastore: { instanceClass: db.t2.small }
        k3s: { clusterCidr: 10.43.0.0/16 }
        state: { bucket: acme-tfstate, region: us-gov-west-1 }
      `),
    );
    expect(problems.map((problem) => `${problem.line} ${problem.field}`)).toEqual([
      "1 name",
      "2 region",
      "4 network.adminCidrs[0]",
      "5 network.azCount",
      "6 controlPlane.count",
      "6 controlPlane.instanceType",
      "7 workers.min",
      "7 workers.spot",
      "7 workers.cpuTarget",
      "8 datastore.instanceClass",
      "9 k3s.serviceCidr",
    ]);
  });

  it("does not judge a rule on a value the schema rejected", () => {
    // workers.max is not a number: no "min must be ≤ max (3, the default)" about a stand-in;
    // vpcCidr is not a CIDR: no "outside network.vpcCidr" for the subnets; the zones of a
    // region that needs them listed are malformed: no "list the zones".
    const problems = problemsOf(
      dedent(`
        name: dev
        region: us-west-1
        network:
          vpcCidr: 10.300.0.0/16
          availabilityZones: [west-1a, west-1b]
          adminCidrs: [203.0.113.7/32]
          subnets: { private: [10.99.0.0/24, 10.99.1.0/24] }
        workers: { min: 5, max: ten }
        state: { bucket: acme-tfstate }
      `),
    );
    expect(problems.map((problem) => problem.field)).toEqual([
      "network.vpcCidr",
      "network.availabilityZones[0]",
      "network.availabilityZones[1]",
      "workers.max",
    ]);
  });

  it("reports name and schema problems together", () => {
    const problems = problemsOf("name: prod\nregion: 1\n");
    expect(problems.map((problem) => problem.field)).toEqual([
      "network",
      "state",
      "name",
      "region",
    ]);
  });
});

describe("formatProblems", () => {
  it("prints file:line:column field: message; found value", () => {
    const problems = problemsOf(
      minimal(`
        workers:
          min: 5
          max: 3
      `),
    );
    expect(formatProblems(problems)).toBe(
      [
        "clusters/dev.yaml:7:8 workers.min: must be ≤ workers.max (3); found 5",
        "  7 |   min: 5",
        "    |        ^",
      ].join("\n"),
    );
  });

  it("refuses workers.min: 0 at its line, with the reason (the add-ons need a worker)", () => {
    const problems = problemsOf(
      minimal(`
        workers:
          min: 0
      `),
    );
    expect(formatProblems(problems).split("\n")[0]).toMatch(
      /^clusters\/dev\.yaml:7:8 workers\.min: must be at least 1: the add-ons .* helm-install Jobs that cannot run on the tainted servers.*; found 0$/,
    );
  });

  it("refuses a k3s release whose Kubernetes minor has no pinned cloud-controller-manager", () => {
    const problems = problemsOf(
      minimal(`
        k3s:
          version: v1.36.1+k3s1
      `),
    );
    expect(formatProblems(problems).split("\n")[0]).toMatch(
      /^clusters\/dev\.yaml:7:12 k3s\.version: Kubernetes 1\.36 has no pinned AWS cloud-controller-manager image, .* version skew policy; use a k3s release of 1\.31, 1\.32, 1\.33, 1\.34, 1\.35; found v1\.36\.1\+k3s1$/,
    );
  });

  it("shows the line a syntax error points at, with a caret under the column", () => {
    const problems = problemsOf("name: dev\nworkers:\n  max: 3\n    spot: true\n");
    expect(formatProblems(problems)).toBe(
      [
        "clusters/dev.yaml:4:5 this key is indented deeper than the key above it, which already has a value; line it up with the keys above (same number of spaces)",
        "  4 |     spot: true",
        "    |     ^",
      ].join("\n"),
    );
  });

  it("shows tabs and invisible characters of the source line as one visible character each", () => {
    const problems = problemsOf(`${MINIMAL}tags: { team: "a\u202eb" }\n`);
    const shown = formatProblems(problems).split("\n");
    expect(shown[1]).toBe('  6 | tags: { team: "a?b" }');
    expect(shown[2]?.indexOf("^")).toBe(shown[1]?.indexOf('"a'));
  });

  it("shows a long source line as a window around the column", () => {
    const long = `${"x".repeat(150)}/32`;
    const problems = problemsOf(`${MINIMAL}  ingressCidrs: [${long}]\n`);
    const [, line, caret] = formatProblems(problems).split("\n");
    expect(line?.length).toBeLessThan(120);
    expect(line?.[caret?.indexOf("^") ?? -1]).toBe("x");
    expect(line).toMatch(/^ {2}6 \| .*…$/);
  });

  it("keeps found values on one line and short", () => {
    const problems = problemsOf(
      minimal(`
        workers:
          - min: 1
            max: ${"9".repeat(100)}
      `),
    );
    expect(problems[0]?.found).toMatch(/^- min: 1 max: 9+…$/);
    expect(problems[0]?.found?.length).toBe(60);
  });
});

describe("the name check", () => {
  it.each(["clusters/dev.yaml", "./clusters/dev.yml", "clusters\\dev.yaml"])(
    "applies to %s",
    (file) => {
      const problems = problemsOf(MINIMAL.replace("name: dev", "name: prod"), file);
      expect(problems.map((problem) => problem.field)).toEqual(["name"]);
    },
  );

  it.each(["examples/clusters/ha.yaml", "/tmp/prod.yaml", "dev.yaml"])(
    "does not apply to %s, which is not a repository's clusters/<name>.yaml",
    (file) => {
      expect(loadDefinition(MINIMAL.replace("name: dev", "name: prod"), file).ok).toBe(true);
    },
  );
});

describe("the name check in a repository's own definitions folder", () => {
  const prod = MINIMAL.replace("name: dev", "name: prod");
  it("applies to infra/clusters/dev.yaml when the folder is infra/clusters", () => {
    const loaded = loadDefinition(prod, "infra/clusters/dev.yaml", {
      definitionsDir: "infra/clusters",
    });
    expect(loaded.ok ? [] : loaded.problems.map((problem) => problem.field)).toEqual(["name"]);
  });

  it("does not apply to files outside it, nor in a folder below it", () => {
    for (const file of ["clusters/dev.yaml", "infra/clusters/sub/dev.yaml"])
      expect(loadDefinition(prod, file, { definitionsDir: "infra/clusters" }).ok).toBe(true);
  });
});

describe("loadDefinitionFile", () => {
  it("loads the dev example and resolves its zones and subnets", () => {
    const loaded = loadDefinitionFile("examples/clusters/dev.yaml");
    if (!loaded.ok) throw new Error(formatProblems(loaded.problems));
    expect(loaded.definition.name).toBe("dev");
    expect(loaded.config.network.availabilityZones).toEqual([
      "eu-central-1a",
      "eu-central-1b",
      "eu-central-1c",
    ]);
    expect(loaded.config.network.subnets).toEqual({
      private: ["10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19"],
      public: ["10.20.192.0/22", "10.20.196.0/22", "10.20.200.0/22"],
      database: ["10.20.224.0/22", "10.20.228.0/22", "10.20.232.0/22"],
    });
    expect(loaded.config.state).toMatchObject({
      key: "k3s/dev/terraform.tfstate",
      region: "eu-central-1",
    });
  });

  it("loads the HA example", () => {
    const loaded = loadDefinitionFile("examples/clusters/ha.yaml");
    if (!loaded.ok) throw new Error(formatProblems(loaded.problems));
    expect(loaded.config.name).toBe("ha");
    expect(loaded.config.controlPlane.count).toBe(3);
    expect(loaded.config.network.natGateways).toBe("perAz");
    expect(loaded.config.network.subnets.private).toEqual([
      "10.30.0.0/19",
      "10.30.32.0/19",
      "10.30.64.0/19",
    ]);
    expect(loaded.config.network.subnets.database).toEqual([
      "10.30.224.0/22",
      "10.30.228.0/22",
      "10.30.232.0/22",
    ]);
    expect(loaded.config.tags).toEqual({ team: "platform", "cost-center": "cc-1234" });
  });

  it("reports a missing file as a problem instead of throwing", () => {
    const loaded = loadDefinitionFile("clusters/does-not-exist.yaml");
    expect(loaded).toEqual({
      ok: false,
      problems: [
        {
          file: "clusters/does-not-exist.yaml",
          line: 1,
          column: 1,
          field: "",
          message: "cannot read the file: no such file",
        },
      ],
    });
  });

  it("accepts the minimal definition and fills in every default", () => {
    const loaded = loadDefinition(MINIMAL, FILE);
    if (!loaded.ok) throw new Error(formatProblems(loaded.problems));
    expect(loaded.config.workers).toMatchObject({ min: 1, max: 3, instanceType: "t3.large" });
    expect(loaded.config.datastore.instanceClass).toBe("db.t4g.small");
    expect(loaded.config.k3s.version).toBe("v1.33.5+k3s1");
  });
});
