/**
 * What the rest of k3s-bot reads from the add-on registry (./index.ts): the definition schema's
 * `addons` fields, which add-ons a cluster gets, their manifests' chart pins and the node
 * roles' policies. Nothing outside infra/addons/ names an add-on for these.
 */
import type { z } from "zod";
import type { BootstrapParams } from "../bootstrap/user-data";
import type { Addon, AddonSwitch, ChartPin, NodePolicy, NodePolicyContext } from "./addon";
import { ADDONS } from "./index";

export { ADDONS };

type Switched = Extract<(typeof ADDONS)[number], { switch: AddonSwitch }>;

/** The zod fields of `addons`, by key. */
export type AddonSwitchFields = {
  [A in Switched as A["switch"]["key"]]: A["switch"]["field"];
};

/** A definition's `addons`, with defaults applied: what the nodes' bootstrap receives. */
export type AddonSwitches = { [K in keyof AddonSwitchFields]: z.output<AddonSwitchFields[K]> };

function switches(addons: readonly Addon[]): AddonSwitch[] {
  return addons
    .flatMap((addon) => (addon.switch ? [addon.switch] : []))
    .sort((a, b) => a.position - b.position);
}

/** The fields of the definition's `addons` object, in their published order. */
export function addonSwitchFields(addons: readonly Addon[] = ADDONS): AddonSwitchFields {
  return Object.fromEntries(
    switches(addons).map((s) => [s.key, s.field]),
  ) as unknown as AddonSwitchFields;
}

/** `addons` with every add-on switched off. */
export function addonsOff(addons: readonly Addon[] = ADDONS): AddonSwitches {
  return Object.fromEntries(switches(addons).map((s) => [s.key, s.off])) as AddonSwitches;
}

/** The add-ons a cluster with these bootstrap parameters gets, in registry order. */
export function enabledAddons(
  params: BootstrapParams,
  addons: readonly Addon[] = ADDONS,
): readonly Addon[] {
  return addons.filter((addon) => addon.enabled(params));
}

/** The node roles' policies of the add-ons a cluster gets. */
export function addonNodePolicies(
  params: BootstrapParams,
  context: NodePolicyContext,
  addons: readonly Addon[] = ADDONS,
): NodePolicy[] {
  return enabledAddons(params, addons).flatMap((addon) => addon.nodePolicies?.(context) ?? []);
}

/** Every add-on's node policies, whether or not a cluster gets it (for the IAM boundary). */
export function allAddonNodePolicies(context: NodePolicyContext): NodePolicy[] {
  return ADDONS.flatMap((addon: Addon) => addon.nodePolicies?.(context) ?? []);
}

/** Every chart pin, each once (a chart may back several manifests). */
export function addonCharts(addons: readonly Addon[] = ADDONS): ChartPin[] {
  const pins = new Map<string, ChartPin>();
  for (const manifest of addons.flatMap((addon) => addon.manifests)) {
    pins.set(manifest.chart.chart, manifest.chart);
  }
  return [...pins.values()];
}
