/**
 * The engine's per-process savings that need no Terraform: the synth cache's key and eviction,
 * and the default bound on concurrent terraform processes.
 */
import { describe, expect, it } from "vitest";
import { loadDefinitionFile } from "../../../app/engine/definitions/load";
import { SynthCache, synthKey } from "../../../app/engine/plan/synth-cache";
import { defaultConcurrency } from "../../../app/engine/run-queue";

function dev() {
  const loaded = loadDefinitionFile("examples/clusters/dev.yaml");
  if (!loaded.ok) throw new Error("dev example does not load");
  return loaded.config;
}

describe("the synth cache", () => {
  it("keys on the definition, the options and the hook, and forgets the least recently used", () => {
    const config = dev();
    const hook = () => {};
    const key = synthKey(config, {}, hook);
    expect(synthKey(config, {}, hook)).toBe(key);
    expect(synthKey(config, {}, () => {})).not.toBe(key);
    expect(synthKey({ ...config, tags: { a: "b" } }, {}, hook)).not.toBe(key);
    expect(synthKey(config, { providerOverrides: { a: 1 } }, hook)).not.toBe(key);

    const cache = new SynthCache(2);
    cache.set("a", { text: "a", resourceCount: 1, initSpec: "" });
    cache.set("b", { text: "b", resourceCount: 1, initSpec: "" });
    cache.get("a");
    cache.set("c", { text: "c", resourceCount: 1, initSpec: "" });
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")?.text).toBe("a");
    expect(cache.get("c")?.text).toBe("c");
  });
});

describe("the default bound on terraform processes", () => {
  it("is one per core, fewer when memory is short, at least one", () => {
    const gb = 2 ** 30;
    expect(defaultConcurrency(2, 24 * gb)).toBe(2);
    expect(defaultConcurrency(16, 4 * gb)).toBe(3);
    expect(defaultConcurrency(4, gb)).toBe(1);
    expect(defaultConcurrency(0, 24 * gb)).toBe(1);
  });
});
