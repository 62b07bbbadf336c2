/**
 * Where things are in a definition's YAML: definition paths and offsets mapped to the document's
 * nodes and 1-based line:column, and the nodes a bounded parse must refuse (too deep, a
 * collection as a key, an alias). The problems built on it are in load.ts.
 */
import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";
import { type DefinitionProblem, describeFound, formatFieldPath } from "./problems";

export type Path = readonly (string | number)[];

/** Deeper than any real definition (4 levels), shallow enough for every recursive step. */
export const MAX_NESTING = 32;

export interface Located {
  /** The node at the path, or the deepest ancestor found. */
  node: Node | null;
  /** The key of that node in its parent mapping, when it has one. */
  key: Node | null;
  /** Whether the whole path was found. */
  exact: boolean;
  /** The first alias (`*name`) the path went through: where the value was written for it. */
  alias: Node | null;
}

/** Maps definition paths and offsets to the document's nodes and 1-based line:column. */
export class SourceMap {
  constructor(
    protected readonly document: Document,
    protected readonly lineCounter: LineCounter,
    protected readonly text: string,
    protected readonly file: string,
  ) {}

  position(offset: number): { line: number; column: number } {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  rootOffset(): number {
    const root = this.document.contents;
    return root?.range?.[0] ?? 0;
  }

  locate(path: Path): Located {
    let located: Located = { node: this.document.contents, key: null, exact: true, alias: null };
    for (const segment of path) {
      const alias = located.alias ?? (isAlias(located.node) ? located.node : null);
      const container = this.deref(located.node);
      let next: Located | undefined;
      if (isMap(container)) {
        const pair = container.items.find(
          (item) => isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (pair) {
          const node = (pair.value as Node | null) ?? null;
          next = { node, key: pair.key as Node, exact: true, alias };
        }
      } else if (isSeq(container) && typeof segment === "number") {
        const item = container.items[segment];
        if (item !== undefined) next = { node: item as Node | null, key: null, exact: true, alias };
      }
      if (!next) return { ...located, exact: false };
      located = next;
    }
    return located;
  }

  /** Follows an alias to its anchored node, so paths reach into aliased mappings. */
  protected deref(node: Node | null): Node | null {
    return isAlias(node) ? (node.resolve(this.document) ?? null) : node;
  }

  /** Start of a located node: the value when exact, else the key (or start) of the ancestor. */
  protected offsetOf(located: Located): number {
    if (located.alias?.range) return located.alias.range[0];
    // A block mapping or list starts on the line after its key; the key is where to look.
    const isBlock = (isMap(located.node) || isSeq(located.node)) && !located.node.flow;
    if (located.exact && isBlock && located.key?.range) return located.key.range[0];
    if (located.exact && located.node?.range) return located.node.range[0];
    if (located.exact && located.key?.range) return located.key.range[1];
    return located.key?.range?.[0] ?? located.node?.range?.[0] ?? this.rootOffset();
  }

  /** The value at `path` as written, on one line; undefined when the path is not in the file. */
  foundAt(path: Path): string | undefined {
    const located = this.locate(path);
    if (!located.exact) return undefined;
    const range = located.node?.range;
    return describeFound(range ? this.text.slice(range[0], range[1]) : "");
  }

  protected at(path: Path, details: Omit<DefinitionProblem, "file" | "line" | "column" | "field">) {
    const located = this.locate(path);
    return {
      file: this.file,
      ...this.position(this.offsetOf(located)),
      field: formatFieldPath(path),
      ...details,
    };
  }

  /** A problem about a key itself (unknown, invalid): positioned on the key. */
  protected atKey(
    path: Path,
    details: Omit<DefinitionProblem, "file" | "line" | "column" | "field">,
  ) {
    const located = this.locate(path);
    const offset =
      located.exact && located.key?.range && !located.alias
        ? located.key.range[0]
        : this.offsetOf(located);
    return { file: this.file, ...this.position(offset), field: formatFieldPath(path), ...details };
  }

  /** Path of the deepest key or item whose node starts at or contains `offset`. */
  protected pathAt(offset: number): (string | number)[] {
    const path: (string | number)[] = [];
    let node: unknown = this.document.contents;
    const contains = (candidate: unknown) => {
      const range = (candidate as Node | null)?.range;
      return range != null && range[0] <= offset && offset < Math.max(range[2], range[0] + 1);
    };
    for (let depth = 0; depth <= MAX_NESTING; depth++) {
      if (isMap(node)) {
        const pair = node.items.find((item) => contains(item.key) || contains(item.value));
        if (!pair || !isScalar(pair.key)) return path;
        path.push(String(pair.key.value));
        if (contains(pair.key)) return path;
        node = pair.value;
      } else if (isSeq(node)) {
        const index = node.items.findIndex(contains);
        if (index === -1) return path;
        path.push(index);
        node = node.items[index];
      } else {
        return path;
      }
    }
    return path;
  }

  /** The first node nested deeper than `limit`, found without recursion. */
  findNodeDeeperThan(limit: number): Node | undefined {
    const stack: [unknown, number][] = [[this.document.contents, 0]];
    while (stack.length > 0) {
      const [node, depth] = stack.pop() as [unknown, number];
      if (!isMap(node) && !isSeq(node)) continue;
      if (depth >= limit) return node;
      for (const item of node.items) {
        if (isMap(node)) {
          const pair = item as { key: unknown; value: unknown };
          stack.push([pair.key, depth + 1], [pair.value, depth + 1]);
        } else {
          stack.push([item, depth + 1]);
        }
      }
    }
    return undefined;
  }

  /** The first mapping key that is itself a list or mapping (`? [a, b]`); depth is capped. */
  findCollectionKey(): Node | undefined {
    const stack: unknown[] = [this.document.contents];
    while (stack.length > 0) {
      const node = stack.pop();
      if (isMap(node)) {
        for (const pair of node.items) {
          if (isMap(pair.key) || isSeq(pair.key)) return pair.key;
          stack.push(pair.value);
        }
      } else if (isSeq(node)) {
        stack.push(...node.items);
      }
    }
    return undefined;
  }

  firstAlias(): Node | undefined {
    let first: Node | undefined;
    const visit = (node: unknown, depth: number) => {
      if (first || depth > MAX_NESTING) return;
      if (isAlias(node)) first = node;
      else if (isMap(node)) for (const pair of node.items) visit(pair.value, depth + 1);
      else if (isSeq(node)) for (const item of node.items) visit(item, depth + 1);
    };
    visit(this.document.contents, 0);
    return first;
  }
}
