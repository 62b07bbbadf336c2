/**
 * What a definition could move to: a newer k3s patch release in its minor, a newer Ubuntu AMI
 * for an AMI it pins. Minors are never proposed (a minor upgrade is a decision, made by editing
 * `k3s.version`). Chart versions are not in a definition: they are pinned by k3s-bot's own code
 * (each add-on's file in infra/addons/) with the facts they were checked against, so they move with
 * upgrades of k3s-bot (docs/updates.md).
 */
import { isMap, isScalar, parseDocument } from "yaml";
import { instanceArchitecture } from "../../../infra/definition/instance-types";
import type { UpdateSources } from "./sources";

export type UpdateKind = "k3s" | "ami";

export interface FieldChange {
  /** The definition field, e.g. ["k3s", "version"]. */
  path: string[];
  from: string;
  to: string;
}

export interface ProposedUpdate {
  cluster: string;
  file: string;
  kind: UpdateKind;
  changes: FieldChange[];
  /** The definition's text with the changes, comments and layout kept. */
  text: string;
}

const K3S_RELEASE = /^v(\d+)\.(\d+)\.(\d+)\+k3s(\d+)$/;

/** Release order of two k3s versions (patch, then k3s revision); null when not comparable. */
export function compareK3s(a: string, b: string): number | null {
  const x = K3S_RELEASE.exec(a);
  const y = K3S_RELEASE.exec(b);
  if (!x || !y) return null;
  for (let i = 1; i <= 4; i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d !== 0) return d;
  }
  return 0;
}

/** The newest release of `current`'s minor in the channels, when newer than `current`. */
export function newerK3sPatch(
  current: string,
  channels: readonly { id: string; latest?: string }[],
): string | null {
  const m = K3S_RELEASE.exec(current);
  if (!m) return null;
  const minor = `v${m[1]}.${m[2]}`;
  const latest = channels.find((c) => c.id === minor)?.latest;
  if (!latest?.startsWith(`${minor}.`)) return null;
  const order = compareK3s(latest, current);
  return order !== null && order > 0 ? latest : null;
}

/**
 * The text with the scalars at `changes` replaced in place, so comments, quoting and layout stay
 * as the author wrote them (a re-serialised document would reflow flow collections). A field
 * that is not there yet is added through the document (only `k3s.version`, when unset).
 */
export function editDefinition(text: string, changes: readonly FieldChange[]): string {
  const doc = parseDocument(text);
  const edits: { start: number; end: number; value: string }[] = [];
  const missing: FieldChange[] = [];
  for (const change of changes) {
    const node = doc.getIn(change.path, true);
    if (isScalar(node) && node.range) {
      const [start, end] = node.range;
      const quote = /^["']/.test(text.slice(start)) ? text[start] : "";
      edits.push({ start, end, value: `${quote}${change.to}${quote}` });
    } else missing.push(change);
  }
  let out = text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.value + out.slice(edit.end);
  }
  if (missing.length === 0) return out;
  const next = parseDocument(out);
  if (missing.every((c) => c.path.length === 2 && !next.has(c.path[0]))) {
    // A new top-level section, appended: the rest of the file stays byte for byte.
    const sections = new Map<string, string[]>();
    for (const c of missing) {
      const [section = "", key = ""] = c.path;
      sections.set(section, [...(sections.get(section) ?? []), `  ${key}: ${c.to}`]);
    }
    const tail = [...sections].map(([section, lines]) => `${section}:\n${lines.join("\n")}\n`);
    return `${out.endsWith("\n") ? out : `${out}\n`}${tail.join("")}`;
  }
  for (const c of missing) next.setIn(c.path, c.to);
  return next.toString();
}

function scalarAt(doc: ReturnType<typeof parseDocument>, path: string[]): string | undefined {
  const node = doc.getIn(path, true);
  return isScalar(node) && typeof node.value === "string" ? node.value : undefined;
}

/**
 * The updates one definition file could take, one per kind that has any. `defaultK3s` is what
 * an unset `k3s.version` means (the schema's default); an unset version is pinned explicitly.
 */
export async function findUpdates(
  file: string,
  text: string,
  sources: UpdateSources,
  defaultK3s: string,
): Promise<ProposedUpdate[]> {
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents)) return [];
  const cluster = scalarAt(doc, ["name"]);
  const region = scalarAt(doc, ["region"]);
  if (!cluster || !region) return [];
  const updates: ProposedUpdate[] = [];

  const version = scalarAt(doc, ["k3s", "version"]) ?? defaultK3s;
  const newer = newerK3sPatch(version, await sources.k3sChannels());
  if (newer) {
    const changes = [{ path: ["k3s", "version"], from: version, to: newer }];
    updates.push({ cluster, file, kind: "k3s", changes, text: editDefinition(text, changes) });
  }

  // Pinned AMIs only: without one, EC2 resolves the current image at every launch already.
  const changes: FieldChange[] = [];
  for (const group of ["controlPlane", "workers"]) {
    const ami = scalarAt(doc, [group, "ami"]);
    if (!ami?.startsWith("ami-")) continue;
    const type = scalarAt(doc, [group, "instanceType"]);
    const current = await sources.ubuntuAmi(region, instanceArchitecture(type ?? "t3.medium"));
    if (current !== ami) changes.push({ path: [group, "ami"], from: ami, to: current });
  }
  if (changes.length > 0) {
    updates.push({ cluster, file, kind: "ami", changes, text: editDefinition(text, changes) });
  }
  return updates;
}
