/**
 * A registry entry is all an add-on takes: with one more entry in infra/addons/index.ts (a
 * test-only add-on, "demo"), the definition schema accepts its switch, the JSON Schema and the
 * definition reference describe it, the servers' user data carries its HelmChart with its chart
 * pin, the server role gets its policy, the IAM boundary allows its action, and the "no
 * add-ons" variant of the IAM doc switches it off, with no other file touched.
 */
import { describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { definitionReference } from "../../app/docs/definition-reference";
import { FEATURE_VARIANTS } from "../../app/docs/iam-policy";
import { clusterJsonSchema } from "../../app/engine/definitions/json-schema";
import type { Addon } from "../../infra/addons/addon";
import { renderManifests } from "../../infra/bootstrap/manifests";
import { resolveCluster } from "../../infra/definition/resolve";
import { ClusterDefinitionSchema } from "../../infra/definition/schema";
import { nodeActions } from "../../infra/iam-boundary";
import { haParams } from "../bootstrap/world";
import { exampleConfig, synthesize } from "./helpers";

const { DEMO_ACTION, DEMO_DESCRIPTION } = vi.hoisted(() => ({
  /** An action no real add-on or node policy uses, so finding it proves where it came from. */
  DEMO_ACTION: "ec2:DescribeSpotPriceHistory",
  DEMO_DESCRIPTION: "Install the demo add-on (a test-only registry entry).",
}));

vi.mock("../../infra/addons/index", async (importOriginal) => {
  const { z } = await import("zod");
  const registry = await importOriginal<typeof import("../../infra/addons/index")>();
  const demo: Addon = {
    name: "demo",
    switch: {
      key: "demo",
      field: z.boolean().default(false).describe(DEMO_DESCRIPTION),
      off: false,
      position: 4,
    },
    enabled: (params) => (params.addons as Record<string, unknown>).demo === true,
    // An existing template (the ingress one; the tests switch the real ingress off), with the
    // demo's own chart pin: CHART, REPO and VERSION come from the entry.
    manifests: [
      {
        name: "nginx-ingress",
        chart: { chart: "demo-chart", repo: "https://charts.example.com/demo", version: "1.2.3" },
      },
    ],
    nodePolicies: (context) => [
      {
        name: "demo-reader",
        roles: ["server"],
        document: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "Demo",
              Effect: "Allow",
              Action: [DEMO_ACTION],
              Resource: `arn:aws:ec2:*:*:demo/${context.clusterName}`,
            },
          ],
        },
      },
    ],
  };
  return { ...registry, ADDONS: [...registry.ADDONS, demo] };
});

type WithDemo = { demo?: boolean };
const demoOf = (addons: object) => (addons as WithDemo).demo;

describe("an add-on added by its registry entry alone", () => {
  it("gets its switch in the definition schema, with its default and type", () => {
    const base = { name: "dev", region: "eu-central-1", state: { bucket: "acme-tfstate" } };
    const network = { vpcCidr: "10.20.0.0/16", adminCidrs: ["203.0.113.7/32"] };
    const off = ClusterDefinitionSchema.parse({ ...base, network });
    expect(demoOf(off.addons)).toBe(false);
    const on = ClusterDefinitionSchema.parse({ ...base, network, addons: { demo: true } });
    expect(demoOf(on.addons)).toBe(true);
    expect(resolveCluster(on).addons).toMatchObject({ demo: true });
    expect(
      ClusterDefinitionSchema.safeParse({ ...base, network, addons: { demo: "yes" } }).success,
    ).toBe(false);
  });

  it("is described in the JSON Schema and the definition reference, after the real ones", () => {
    const addons = (clusterJsonSchema() as { properties: Record<string, unknown> }).properties
      .addons as { properties: Record<string, { description?: string }> };
    expect(Object.keys(addons.properties)).toEqual(["ingress", "jenkins", "argocd", "demo"]);
    expect(addons.properties.demo?.description).toBe(DEMO_DESCRIPTION);
    expect(definitionReference()).toContain(
      `| \`addons.demo\` | boolean | \`false\` | — | ${DEMO_DESCRIPTION} |`,
    );
  });

  it("is rendered into the servers' manifests with its chart pin, only when switched on", () => {
    const addons = { ingress: "none", jenkins: false, argocd: false } as const;
    const on = renderManifests(haParams({ addons: { ...addons, demo: true } as typeof addons }));
    const demo = on.find((m) => m.content.includes("demo-chart"));
    expect(demo?.fileName).toBe("k3s-bot-nginx-ingress.yaml");
    const spec = (parse(demo?.content ?? "") as { spec: Record<string, string> }).spec;
    expect(spec).toMatchObject({
      chart: "demo-chart",
      repo: "https://charts.example.com/demo",
      version: "1.2.3",
    });
    const off = renderManifests(haParams({ addons }));
    expect(off.some((m) => m.content.includes("demo-chart"))).toBe(false);
  });

  it("puts its policy on the roles it names, and its chart in the user data", () => {
    const withDemo = synthesize(
      exampleConfig("dev", (config) => {
        config.addons = { ...config.addons, ingress: "none", demo: true } as typeof config.addons;
      }),
    );
    const policies = withDemo.json.resource?.aws_iam_role_policy ?? {};
    expect(policies.servers_demo_reader?.name).toBe("demo-reader");
    expect(JSON.parse(String(policies.servers_demo_reader?.policy))).toMatchObject({
      Statement: [{ Action: [DEMO_ACTION], Resource: "arn:aws:ec2:*:*:demo/dev" }],
    });
    expect(policies.workers_demo_reader).toBeUndefined();
    expect(withDemo.text).toContain("demo-chart");

    const without = synthesize(exampleConfig("dev"));
    expect(without.json.resource?.aws_iam_role_policy?.servers_demo_reader).toBeUndefined();
    expect(without.text).not.toContain("demo-chart");
  });

  it("has its action in the node roles' permissions boundary", () => {
    expect(nodeActions("aws")).toContain(DEMO_ACTION);
  });

  it("is switched off by the IAM doc's no-add-ons variant", () => {
    const variant = Object.entries(FEATURE_VARIANTS).find(([name]) => name.includes("no add-ons"));
    expect(variant, "FEATURE_VARIANTS has a no-add-ons entry").toBeDefined();
    const config = exampleConfig("dev", (c) => {
      c.addons = { ...c.addons, demo: true } as typeof c.addons;
    });
    variant?.[1](config);
    expect(demoOf(config.addons)).toBe(false);
  });
});
