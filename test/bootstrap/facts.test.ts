/**
 * The add-on manifests against the upstream facts kept in infra/facts/ (each with its source):
 * the add-ons' chart pins (infra/addons/) against the chart index entries they were read from, every value key a
 * HelmChart sets against the keys that chart version declares, and Argo CD's CRD rule.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { addonCharts } from "../../infra/addons/registry";
import { renderManifests } from "../../infra/bootstrap/manifests";
import { checkClusterRules } from "../../infra/definition/rules";
import { ClusterDefinitionSchema } from "../../infra/definition/schema";
import { haParams } from "./world";

interface ChartFacts {
  chart: string;
  version: string;
  appVersion: string | null;
  source: { repository: string; tag: string; commit: string; path: string };
  index: { repository: string; ref: string; file: string; digest: string; url: string };
  crdKinds: string[];
  openMaps: string[];
  freeForm: Record<string, string>;
  templateKeys: string[];
  valueKeys: string[];
}

const FACTS_DIR = new URL("../../infra/facts/charts/", import.meta.url);

function facts(chart: string): ChartFacts {
  return JSON.parse(readFileSync(new URL(`${chart}.json`, FACTS_DIR), "utf8")) as ChartFacts;
}

/** Same notation as scripts/chart-facts.py: dotted, a key holding a dot in brackets. */
function pathKey(segments: string[]): string {
  return segments.map((s, i) => (s.includes(".") ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}

/** Key paths of a values document: maps descended, lists not (their items are the chart's). */
function keyPaths(node: unknown, prefix: string[] = []): string[][] {
  if (node === null || typeof node !== "object" || Array.isArray(node)) return [];
  return Object.entries(node).flatMap(([key, value]) => {
    const path = [...prefix, key];
    return [path, ...keyPaths(value, path)];
  });
}

/** The keys of `values` that chart version neither declares nor leaves free-form. */
function unknownKeys(f: ChartFacts, values: unknown): string[] {
  const known = new Set([...f.valueKeys, ...f.templateKeys]);
  const open = [...f.openMaps, ...Object.keys(f.freeForm)];
  return keyPaths(values)
    .filter((path) => {
      if (known.has(pathKey(path))) return false;
      return !path.some((_, i) => i > 0 && open.includes(pathKey(path.slice(0, i))));
    })
    .map(pathKey);
}

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}
interface JobScheduling {
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
}
const helmController = JSON.parse(
  readFileSync(new URL("../../infra/facts/helm-controller.json", import.meta.url), "utf8"),
) as { scheduling: { default: JobScheduling; bootstrap: JobScheduling } };

/** Kubernetes' toleration matching (core/v1 Toleration.ToleratesTaint). */
function tolerates(t: Toleration, taint: { key: string; value: string; effect: string }) {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  return t.operator === "Exists" || (t.value ?? "") === taint.value;
}

function helmCharts() {
  return renderManifests(haParams()).map((m) => {
    const doc = parse(m.content) as {
      metadata: { name: string };
      spec: { chart: string; version: string; valuesContent: string };
    };
    return { name: doc.metadata.name, spec: doc.spec, values: parse(doc.spec.valuesContent) };
  });
}

describe("chart facts", () => {
  it("every pin has its facts file at the same version, read from its chart index", () => {
    const pins = addonCharts();
    const files = readdirSync(FACTS_DIR).filter((f) => f.endsWith(".json"));
    // No facts left behind for a chart we no longer install.
    expect(files.sort()).toEqual(pins.map((p) => `${p.chart}.json`).sort());
    for (const pin of pins) {
      const f = facts(pin.chart);
      expect(f.chart, pin.chart).toBe(pin.chart);
      // A bump of a pin without regenerated facts fails here.
      expect(f.version, `${pin.chart}: infra/facts/charts/${pin.chart}.json`).toBe(pin.version);
      expect(f.index.digest, pin.chart).toMatch(/^[0-9a-f]{64}$/);
      expect(f.index.url, pin.chart).toContain(`${pin.chart}-${pin.version}.tgz`);
      expect(f.source.commit, pin.chart).toMatch(/^[0-9a-f]{40}$/);
      expect(f.valueKeys.length, pin.chart).toBeGreaterThan(0);
    }
  });

  it("every value key a HelmChart sets exists in its chart version (or under a free-form map)", () => {
    const unknown = helmCharts().flatMap(({ name, spec, values }) =>
      unknownKeys(facts(spec.chart), values).map((key) => `${name}: ${key}`),
    );
    expect(unknown).toEqual([]);
  });

  it("the key check catches a misspelt or moved key", () => {
    const efs = facts("aws-efs-csi-driver");
    expect(unknownKeys(efs, { controller: { nodeSelectr: {} } })).toEqual([
      "controller.nodeSelectr",
    ]);
    // Under an open map (nodeSelector: {} by default) any label key is fine.
    expect(unknownKeys(efs, { controller: { nodeSelector: { "a.b/c": "x" } } })).toEqual([]);
    // A key only templates read (cloud-provider-aws' hostNetworking) counts as existing.
    expect(unknownKeys(facts("aws-cloud-controller-manager"), { hostNetworking: true })).toEqual(
      [],
    );
  });

  it("no release holds custom resources of the CRDs its own chart creates from templates", () => {
    const offending: string[] = [];
    const visit = (name: string, kinds: string[], node: unknown): void => {
      if (node === null || typeof node !== "object") return;
      const obj = node as Record<string, unknown>;
      if (typeof obj.apiVersion === "string" && kinds.includes(String(obj.kind))) {
        offending.push(`${name}: ${obj.kind}`);
      }
      for (const value of Object.values(obj)) visit(name, kinds, value);
    };
    expect(facts("argo-cd").crdKinds).toEqual(["AppProject", "Application", "ApplicationSet"]);
    for (const { name, spec, values } of helmCharts()) {
      visit(name, facts(spec.chart).crdKinds, values);
    }
    expect(offending).toEqual([]);
  });

  it("helm-controller's scheduling rule is why a cluster needs a worker", () => {
    // The servers' taint, as k3s-server.sh passes it.
    const script = readFileSync(
      new URL("../../infra/bootstrap/scripts/k3s-server.sh", import.meta.url),
      "utf8",
    );
    const m = /--node-taint ([^=\s]+)=([^:\s]*):(\w+)/.exec(script);
    if (!m) throw new Error("k3s-server.sh passes no --node-taint");
    const taint = { key: m[1] ?? "", value: m[2] ?? "", effect: m[3] ?? "" };
    const { default: plain, bootstrap } = helmController.scheduling;
    // Only bootstrap charts' install Jobs may run on a server.
    expect(plain.tolerations.some((t) => tolerates(t, taint))).toBe(false);
    expect(bootstrap.tolerations.some((t) => tolerates(t, taint))).toBe(true);
    const docs = renderManifests(haParams()).map(
      (m) => parse(m.content) as { metadata: { name: string }; spec: { bootstrap?: boolean } },
    );
    const needWorker = docs.filter((d) => !d.spec.bootstrap).map((d) => d.metadata.name);
    // The cluster-autoscaler, which would add the first worker, is among them.
    expect(needWorker).toContain("cluster-autoscaler");
    // So the definition rules refuse a cluster that may have no worker.
    const definition = ClusterDefinitionSchema.parse({
      name: "dev",
      region: "eu-central-1",
      network: { adminCidrs: ["203.0.113.7/32"] },
      state: { bucket: "acme-tfstate" },
      workers: { min: 0 },
    });
    expect(checkClusterRules(definition).map((p) => p.path.join("."))).toEqual(["workers.min"]);
  });
});
