/**
 * The node roles' policies against the IAM policies the add-ons document (infra/facts/iam/):
 * every documented action is granted, with the documented conditions, or omitted on purpose
 * with a reason written in the facts.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Addon } from "../../infra/addons/addon";
import { ADDONS, addonCharts } from "../../infra/addons/registry";
import type { PolicyDocument, PolicyStatement } from "../../infra/iam-policies";
import { exampleConfig, synthesize, type TerraformJson } from "./helpers";

const FACTS_DIR = join(import.meta.dirname, "..", "..", "infra", "facts", "iam");

interface IamFact {
  component: string;
  chart: { name: string; version: string };
  source: { repo: string; path: string; tag: string; commit: string; date: string };
  roles: ("control-plane" | "worker")[];
  policies: string[];
  policy: PolicyDocument;
  omitted: { action: string; reason: string }[];
}

const facts = readdirSync(FACTS_DIR)
  .filter((file) => file.endsWith(".json"))
  .map((file) => ({
    file,
    fact: JSON.parse(readFileSync(join(FACTS_DIR, file), "utf8")) as IamFact,
  }));
const pinned = new Map<string, string>(addonCharts().map((pin) => [pin.chart, pin.version]));
const current = facts.filter(({ fact }) => pinned.get(fact.chart.name) === fact.chart.version);

/** The ha example has every add-on with AWS permissions: EFS and cluster-autoscaler. */
const ha = synthesize(exampleConfig("ha")).json;

function inlinePolicies(json: TerraformJson, role: string): Record<string, PolicyDocument> {
  return Object.fromEntries(
    Object.entries(json.resource?.aws_iam_role_policy ?? {})
      .filter(([logical]) =>
        logical.startsWith(`${role === "control-plane" ? "servers" : "workers"}_`),
      )
      .map(([, policy]) => [String(policy.name), JSON.parse(String(policy.policy))]),
  );
}
const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

describe("IAM facts", () => {
  it("cover every pinned chart whose add-on calls AWS with a node role", () => {
    // The add-ons with node policies, from the registry (infra/addons/).
    const charts = ADDONS.flatMap((addon: Addon) =>
      addon.nodePolicies ? addon.manifests.slice(0, 1).map((m) => m.chart.chart) : [],
    );
    expect(charts.sort()).toEqual([
      "aws-cloud-controller-manager",
      "aws-efs-csi-driver",
      "cluster-autoscaler",
    ]);
    for (const chart of charts) {
      expect(
        current.filter(({ fact }) => fact.chart.name === chart).length,
        `no IAM fact in infra/facts/iam for ${chart} ${pinned.get(chart)}`,
      ).toBeGreaterThan(0);
    }
  });

  it("name their source fully and give every omission a reason", () => {
    for (const { file, fact } of facts) {
      expect(fact.source.repo, file).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(fact.source.commit, file).toMatch(/^[0-9a-f]{40}$/);
      expect(fact.source.date, file).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(fact.policy.Statement.length, file).toBeGreaterThan(0);
      for (const omission of fact.omitted) expect(omission.reason.length, file).toBeGreaterThan(20);
    }
  });

  for (const { file, fact } of current) {
    for (const role of fact.roles) {
      it(`${role}: grants what ${fact.component} documents (${file})`, () => {
        const ours = inlinePolicies(ha, role);
        const statements: PolicyStatement[] = fact.policies.flatMap((name) => {
          expect(ours[name], `${role} has no inline policy ${name}`).toBeDefined();
          return ours[name]?.Statement ?? [];
        });
        const granted = new Set(statements.flatMap((s) => list(s.Action)));
        const omitted = new Set(fact.omitted.map((o) => o.action));
        for (const documented of fact.policy.Statement) {
          for (const action of list(documented.Action)) {
            if (omitted.has(action)) {
              expect(granted.has(action), `${action} is granted but listed as omitted`).toBe(false);
              continue;
            }
            expect(granted.has(action), `${action} is documented but not granted`).toBe(true);
            if (documented.Condition) {
              const conditions = statements
                .filter((s) => list(s.Action).includes(action))
                .map((s) => s.Condition);
              expect(conditions, `${action} under the documented condition`).toContainEqual(
                documented.Condition,
              );
            }
          }
        }
        const documentedActions = new Set(fact.policy.Statement.flatMap((s) => list(s.Action)));
        for (const action of omitted) {
          expect(documentedActions.has(action), `${action} omitted but not documented`).toBe(true);
        }
      });
    }
  }
});
