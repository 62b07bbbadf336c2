/**
 * The part of a definition that did validate, so the cross-field rules can run in the same pass
 * as the field checks and a file with ten mistakes gets ten problems, not four rounds of them.
 *
 * Each field the schema rejected is set aside: replaced by a placeholder definition's value
 * (a default, or a stand-in for a required field), or removed when the placeholder has none.
 * The rules then run on the result, told which paths were set aside, and drop every problem
 * that rests on one of them: a rule about a stand-in would be about a value nobody wrote.
 */
import type { z } from "zod";
import { type ClusterDefinition, ClusterDefinitionSchema } from "../../../infra/definition/schema";

type Path = readonly (string | number)[];

/**
 * Valid in every field, defaults everywhere else. Its values never reach a report: every path
 * that takes one is marked set aside, and the rules drop problems on set-aside paths.
 */
const PLACEHOLDER: ClusterDefinition = ClusterDefinitionSchema.parse({
  name: "placeholder",
  region: "us-east-1",
  network: { adminCidrs: ["192.0.2.0/24"] },
  state: { bucket: "placeholder" },
});

/** Rounds of parse-and-set-aside; one is enough unless a stand-in unmasks a deeper issue. */
const MAX_ROUNDS = 4;

export interface PartialDefinition {
  /** The definition with set-aside fields replaced; undefined when it still would not parse. */
  definition: ClusterDefinition | undefined;
  /** Whether a rule problem at `path` rests on a set-aside field (or one inside/around it). */
  setAside: (path: Path) => boolean;
}

/**
 * `data` as the user wrote it (plain JSON-like values), `issues` the schema's complaints about
 * it, `alsoSetAside` fields already reported by other checks (hostile strings).
 */
export function validatedPart(
  data: Record<string, unknown>,
  issues: readonly z.core.$ZodIssue[],
  alsoSetAside: readonly Path[] = [],
): PartialDefinition {
  const setAsidePaths: Path[] = [...alsoSetAside];
  const copy = structuredClone(data);
  let pending = issues;
  let definition: ClusterDefinition | undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    for (const issue of pending) {
      const path = issue.path.filter((key): key is string | number => typeof key !== "symbol");
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) removeAt(copy, [...path, key]);
      } else {
        setAsidePaths.push(setAside(copy, path));
      }
    }
    const parsed = ClusterDefinitionSchema.safeParse(copy);
    if (parsed.success) {
      definition = parsed.data;
      break;
    }
    pending = parsed.error.issues;
  }
  return { definition, setAside: setAsideOf(setAsidePaths) };
}

/** Whether a path rests on one of `paths` (is one of them, inside one, or holds one). */
export function setAsideOf(paths: readonly Path[]): (path: Path) => boolean {
  return (path) => paths.some((other) => related(path, other));
}

/** Replaces the value at `path` with the placeholder's; returns the path actually replaced. */
function setAside(data: Record<string, unknown>, path: Path): Path {
  // Inside a list, an element is replaced by the placeholder's first element when it has one
  // (`adminCidrs[2]`); a list the placeholder lacks is set aside whole.
  const listAt = path.findIndex((key) => typeof key === "number");
  let target = path;
  if (listAt !== -1) {
    const listPath = path.slice(0, listAt);
    const first = valueAt(PLACEHOLDER, [...listPath, 0]);
    target = first === undefined ? listPath : path.slice(0, listAt + 1);
    if (first !== undefined) {
      writeAt(data, target, structuredClone(first));
      return target;
    }
  }
  const stand = valueAt(PLACEHOLDER, target);
  if (stand === undefined) removeAt(data, target);
  else writeAt(data, target, structuredClone(stand));
  return target;
}

/** Whether one path is the other or lies inside it. */
function related(a: Path, b: Path): boolean {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    if (String(a[index]) !== String(b[index])) return false;
  }
  return true;
}

function valueAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/** The container holding `path`'s last key, created as mappings on the way; null if blocked. */
function containerOf(root: Record<string, unknown>, path: Path): Record<string, unknown> | null {
  let node: unknown = root;
  for (const key of path.slice(0, -1)) {
    const container = node as Record<string | number, unknown>;
    if (!Object.hasOwn(container, key) || container[key] === null) {
      if (typeof key === "number" || key === "__proto__") return null;
      Object.defineProperty(container, key, {
        value: {},
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    node = container[key];
    if (node === null || typeof node !== "object") return null;
  }
  return node as Record<string, unknown>;
}

function writeAt(root: Record<string, unknown>, path: Path, value: unknown): void {
  const key = path.at(-1);
  if (key === undefined) return;
  const container = containerOf(root, path);
  // defineProperty, not assignment: a key named `__proto__` must not reach the prototype.
  if (container)
    Object.defineProperty(container, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
}

function removeAt(root: Record<string, unknown>, path: Path): void {
  const key = path.at(-1);
  if (key === undefined) return;
  const container = valueAt(root, path.slice(0, -1));
  if (container === null || typeof container !== "object") return;
  if (Array.isArray(container) && typeof key === "number") container.splice(key, 1);
  else if (Object.hasOwn(container, key)) delete (container as Record<string, unknown>)[key];
}
