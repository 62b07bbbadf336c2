/**
 * The add-on registry (infra/addons/) is the one place an add-on is declared: every entry is
 * complete (its switch controls it, its templates exist, its node policies follow an upstream
 * fact), and the modules that read the registry name no add-on themselves.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Addon, NodePolicy } from "../../infra/addons/addon";
import { ADDONS, addonCharts, addonSwitchFields, addonsOff } from "../../infra/addons/registry";
import { AddonsSchema } from "../../infra/definition/schema";
import { haParams } from "../bootstrap/world";

const ROOT = join(import.meta.dirname, "..", "..");
const TEMPLATES = join(ROOT, "infra", "bootstrap", "manifests");
const IAM_FACTS = join(ROOT, "infra", "facts", "iam");
const registry: readonly Addon[] = ADDONS;

/** The modules that wire add-ons in from the registry: none of them may name one. */
const READERS = [
  "infra/definition/schema.ts",
  "infra/bootstrap/manifests.ts",
  "infra/bootstrap/user-data.ts",
  "infra/compute.ts",
  "infra/iam-boundary.ts",
  "infra/iam-policies.ts",
  "app/docs/iam-policy.ts",
];

/** Every name an add-on is known by: its own, its manifests', charts', policies', switch's. */
function namesOf(addon: Addon): string[] {
  const policies: readonly NodePolicy[] =
    addon.nodePolicies?.({ clusterName: "c", efsFileSystemArn: "arn" }) ?? [];
  return [
    addon.name,
    ...addon.manifests.flatMap((m) => [m.name, m.chart.chart]),
    ...policies.map((p) => p.name),
    ...(addon.switch ? [addon.switch.key] : []),
  ];
}

describe("the add-on registry", () => {
  it("gives each add-on a unique name, manifest file and switch", () => {
    const names = registry.map((a) => a.name);
    const manifests = registry.flatMap((a) => a.manifests.map((m) => m.name));
    const switches = registry.flatMap((a) => (a.switch ? [a.switch] : []));
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(manifests).size).toBe(manifests.length);
    expect(new Set(switches.map((s) => s.key)).size).toBe(switches.length);
    expect(switches.map((s) => s.position).sort()).toEqual(switches.map((_, i) => i + 1));
  });

  it("builds the definition's `addons` object from the switches alone", () => {
    expect(Object.keys(AddonsSchema.shape)).toEqual(Object.keys(addonSwitchFields()));
    for (const addon of registry) {
      if (!addon.switch) continue;
      expect(AddonsSchema.shape[addon.switch.key as keyof typeof AddonsSchema.shape]).toBe(
        addon.switch.field,
      );
      // Its "off" value is one the field accepts.
      expect(addon.switch.field.safeParse(addon.switch.off).success, addon.name).toBe(true);
    }
  });

  it("lets each switch turn its add-on on and off", () => {
    const allOn = haParams();
    for (const addon of registry) expect(addon.enabled(allOn), addon.name).toBe(true);
    const off = haParams({ addons: addonsOff() });
    for (const addon of registry) {
      if (addon.switch) expect(addon.enabled(off), addon.name).toBe(false);
    }
    // Switching one off leaves the others as they were.
    for (const addon of registry) {
      if (!addon.switch) continue;
      const one = haParams({ addons: { ...allOn.addons, [addon.switch.key]: addon.switch.off } });
      expect(
        registry.filter((a) => !a.enabled(one)).map((a) => a.name),
        addon.switch.key,
      ).toEqual([addon.name]);
    }
  });

  it("has a template for every manifest, and no template without an add-on", () => {
    const declared = registry.flatMap((a) => a.manifests.map((m) => `${m.name}.yaml`));
    for (const file of declared) expect(existsSync(join(TEMPLATES, file)), file).toBe(true);
    expect(readdirSync(TEMPLATES).sort()).toEqual([...declared].sort());
  });

  it("backs each node policy with an upstream IAM fact of its chart (same roles) or a reason", () => {
    const pinned = new Map(addonCharts().map((pin) => [pin.chart, pin.version]));
    const facts = readdirSync(IAM_FACTS)
      .filter((f) => f.endsWith(".json"))
      .map(
        (f) =>
          JSON.parse(readFileSync(join(IAM_FACTS, f), "utf8")) as {
            chart: { name: string; version: string };
            roles: string[];
            policies: string[];
          },
      )
      .filter((fact) => pinned.get(fact.chart.name) === fact.chart.version);
    const roleName = { server: "control-plane", agent: "worker" } as const;
    for (const addon of registry) {
      const charts = addon.manifests.map((m) => m.chart.chart);
      for (const policy of addon.nodePolicies?.({ clusterName: "c", efsFileSystemArn: "a" }) ??
        []) {
        if (policy.withoutUpstreamFact) continue;
        const fact = facts.find(
          (f) => charts.includes(f.chart.name) && f.policies.includes(policy.name),
        );
        expect(fact, `${addon.name}: no IAM fact for policy ${policy.name}`).toBeDefined();
        expect([...(fact?.roles ?? [])].sort(), policy.name).toEqual(
          policy.roles.map((r) => roleName[r]).sort(),
        );
      }
    }
  });

  it("is the only place that names an add-on for the schema, manifests, user data and IAM", () => {
    const found: string[] = [];
    for (const file of READERS) {
      const text = readFileSync(join(ROOT, file), "utf8");
      for (const addon of registry) {
        for (const name of namesOf(addon)) {
          // As a string literal, or as a field of `addons` (`addons.argocd`, `{ argocd: false }`).
          const quoted = new RegExp(`["'\`]${name}["'\`]`);
          const field =
            addon.switch?.key === name
              ? new RegExp(`addons\\??\\.${name}\\b|\\b${name}\\s*:`)
              : null;
          if (quoted.test(text) || field?.test(text)) found.push(`${file}: ${name}`);
        }
      }
    }
    expect([...new Set(found)]).toEqual([]);
  });
});
