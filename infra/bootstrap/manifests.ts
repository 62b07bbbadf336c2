/**
 * The add-on HelmChart manifests a server writes to /var/lib/rancher/k3s/server/manifests/, from
 * the templates in ./manifests/ and the add-on registry (infra/addons/): each enabled add-on's
 * manifests, with its chart pins and values. k3s' helm-controller installs them and retries
 * until they converge. Templates use @@NAME@@ placeholders (not `${}` or `{{}}`, which
 * Terraform, JCasC and Helm would all read as their own syntax).
 */
import { readFileSync } from "node:fs";
import type { Addon, ChartPin } from "../addons/addon";
import { ADDONS, enabledAddons } from "../addons/registry";
import type { BootstrapParams } from "./user-data";

export interface RenderedManifest {
  /** File name under /var/lib/rancher/k3s/server/manifests/. */
  fileName: string;
  content: string;
}

const TEMPLATE_DIR = new URL("./manifests/", import.meta.url);

/** The manifests of the add-ons a cluster gets, each with its chart pin and template values. */
export function renderManifests(
  params: BootstrapParams,
  addons: readonly Addon[] = ADDONS,
): RenderedManifest[] {
  const common = { CLUSTER_NAME: params.clusterName, REGION: params.region };
  return enabledAddons(params, addons).flatMap((addon) =>
    addon.manifests.flatMap((manifest) => {
      const values = manifest.values ? manifest.values(params) : {};
      if (values === undefined) return [];
      const rendered = render(manifest.name, manifest.chart, { ...common, ...values });
      if (manifest.adjust) rendered.content = manifest.adjust(rendered.content);
      return [rendered];
    }),
  );
}

function render(name: string, pin: ChartPin, values: Record<string, string>): RenderedManifest {
  const template = readFileSync(new URL(`${name}.yaml`, TEMPLATE_DIR), "utf8");
  const all: Record<string, string> = {
    CHART: pin.chart,
    REPO: pin.repo,
    VERSION: pin.version,
    ...values,
  };
  const content = template.replace(/@@([A-Z_]+)@@/g, (_, key: string) => {
    const value = all[key];
    if (value === undefined) throw new Error(`${name}.yaml: no value for @@${key}@@`);
    // Values land inside double-quoted YAML scalars or plain words; refuse anything that could
    // break out of them.
    if (/["\\\n]/.test(value)) throw new Error(`${name}.yaml: unsafe value for @@${key}@@`);
    return value;
  });
  return { fileName: `k3s-bot-${name}.yaml`, content };
}
