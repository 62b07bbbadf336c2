/**
 * Synthesized stacks kept in memory between plans: a re-plan of an unchanged definition (a new
 * commit that touched something else) skips cdktf. The key is everything synthesis reads: the
 * loaded definition, the stack options and the customization hook. The stack's code cannot
 * change under a running process, so it needs no place in the key; an on-disk cache would.
 */
import { createHash } from "node:crypto";
import type { ClusterConfig } from "../../../infra/definition/config";
import type { StackOptions } from "../../../infra/stack";

export interface SynthesizedStack {
  /** The cdk.tf.json content, as written to the working directory. */
  text: string;
  resourceCount: number;
  /** What of the stack `terraform init` depends on (plan-cluster.ts decides). */
  initSpec: string;
}

const hookIds = new WeakMap<object, number>();
let nextHookId = 1;

/** A hook's identity for the key: the same function object, the same id. */
function hookId(hook: unknown): number {
  if (typeof hook !== "function") return 0;
  let id = hookIds.get(hook);
  if (id === undefined) {
    id = nextHookId++;
    hookIds.set(hook, id);
  }
  return id;
}

export function synthKey(config: ClusterConfig, options: StackOptions, customize: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify([config, options, hookId(customize)]))
    .digest("hex");
}

export class SynthCache {
  private readonly entries = new Map<string, SynthesizedStack>();
  hits = 0;
  misses = 0;

  constructor(private readonly limit = 32) {}

  get(key: string): SynthesizedStack | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.misses += 1;
      return undefined;
    }
    this.hits += 1;
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  set(key: string, entry: SynthesizedStack): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.limit) break;
      this.entries.delete(oldest);
    }
  }
}
