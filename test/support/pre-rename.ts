/**
 * The stack as it was before its resources got readable addresses (test/fixtures/pre-rename/),
 * and the way back from today's names to those, to compare the two.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadDefinitionFile } from "../../app/engine/definitions/load";
import type { ClusterConfig } from "../../infra/definition/config";

const ROOT = join(import.meta.dirname, "..", "..");
export const PRE_RENAME = join(ROOT, "test", "fixtures", "pre-rename");

/** The definitions whose pre-rename addresses were recorded. */
export const PRE_RENAME_DEFINITIONS = {
  dev: join(ROOT, "examples", "clusters", "dev.yaml"),
  ha: join(ROOT, "examples", "clusters", "ha.yaml"),
  small: join(PRE_RENAME, "small.yaml"),
  private: join(PRE_RENAME, "private.yaml"),
} as const;
export type PreRenameDefinition = keyof typeof PRE_RENAME_DEFINITIONS;

export function preRenameConfig(name: PreRenameDefinition): ClusterConfig {
  const loaded = loadDefinitionFile(PRE_RENAME_DEFINITIONS[name]);
  if (!loaded.ok) throw new Error(`${PRE_RENAME_DEFINITIONS[name]} does not load`);
  return loaded.config;
}

/** Every resource address the stack synthesized for the definition before the rename. */
export function preRenameAddresses(name: PreRenameDefinition): string[] {
  const all = JSON.parse(readFileSync(join(PRE_RENAME, "addresses.json"), "utf8"));
  return all[name] as string[];
}

/** Resources, locals and outputs of `small.yaml` before the rename (emulator workarounds on). */
export function preRenameSmallStack(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(PRE_RENAME, "small.tf.json"), "utf8"));
}

export interface Move {
  from: string;
  to: string;
}

/** `type.name` of every resource in synthesized JSON. */
export function addressesOf(json: {
  resource?: Record<string, Record<string, unknown>>;
}): string[] {
  return Object.entries(json.resource ?? {}).flatMap(([type, byName]) =>
    Object.keys(byName).map((name) => `${type}.${name}`),
  );
}

/** A copy without cdktf's construct metadata (`//`), which names construct paths. */
export function withoutMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMetadata);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== "//")
      .map(([key, inner]) => [key, withoutMetadata(inner)]),
  );
}

/**
 * Pre-rename JSON with every address renamed as `moves` say, in keys and in references, and the
 * user-data locals renamed by the pool they belong to. Returns also what had no move.
 */
export function renamedAsMoved(
  old: { resource?: Record<string, Record<string, unknown>>; locals?: Record<string, unknown> },
  moves: readonly Move[],
): { json: Record<string, unknown>; unmoved: string[] } {
  const localName = (name: string) =>
    name.includes("control-plane-user-data")
      ? "servers_user_data"
      : name.includes("worker-user-data")
        ? "workers_user_data"
        : name;
  const renames: [string, string][] = [
    ...moves.map((move): [string, string] => [move.from, move.to]),
    ...Object.keys(old.locals ?? {}).map((name): [string, string] => [
      `local.${name}`,
      `local.${localName(name)}`,
    ]),
  ];
  // A hashed address ends in its hash, so no old address is a prefix of another; longest first
  // all the same.
  renames.sort(([a], [b]) => b.length - a.length);
  let text = JSON.stringify(old);
  for (const [from, to] of renames) text = text.split(from).join(to);
  const json = JSON.parse(text) as {
    resource?: Record<string, Record<string, unknown>>;
    locals?: Record<string, unknown>;
  };
  const target = new Map(moves.map((move) => [move.from, move.to]));
  const unmoved: string[] = [];
  const resource: Record<string, Record<string, unknown>> = {};
  for (const [type, byName] of Object.entries(old.resource ?? {})) {
    for (const name of Object.keys(byName)) {
      const to = target.get(`${type}.${name}`);
      if (!to) {
        unmoved.push(`${type}.${name}`);
        continue;
      }
      const renamedBody = json.resource?.[type]?.[name];
      resource[type] = { ...resource[type], [to.slice(type.length + 1)]: renamedBody };
    }
  }
  const locals = Object.fromEntries(
    Object.entries(json.locals ?? {}).map(([name, value]) => [localName(name), value]),
  );
  return { json: { ...json, resource, locals }, unmoved };
}
