/**
 * The tests' stand-in objects (test/support/proxies.ts): a wrapper made with `overriding`
 * keeps every member of a class instance it does not replace, where the object spread it
 * replaced kept none of the class's methods.
 */
import { describe, expect, it } from "vitest";
import { overriding } from "../../support/proxies";

interface Service {
  name: string;
  greet(who: string): string;
  /** Optional, as AwsEnvironment's rolloutClients and afterStateBackend are. */
  refresh?(): string;
  readonly calls: number;
}

class RealService implements Service {
  name = "real";
  private count = 0;
  greet(who: string): string {
    this.count += 1;
    return `${this.name} greets ${who}`;
  }
  refresh(): string {
    return `${this.name} refreshed`;
  }
  get calls(): number {
    return this.count;
  }
}

describe("overriding", () => {
  it("replaces what it is given and forwards the rest, methods of the class included", () => {
    const real = new RealService();
    const wrapped = overriding<Service>(real, { greet: (who) => `hello ${who}` });
    expect(wrapped.greet("ann")).toBe("hello ann");
    // Forwarded, with `this` the original: its private state and getters work.
    expect(wrapped.refresh?.()).toBe("real refreshed");
    expect(wrapped.name).toBe("real");
    expect("refresh" in wrapped).toBe(true);
    real.greet("bob");
    expect(wrapped.calls).toBe(1);
    // Members of the original added or changed later are seen too.
    real.name = "renamed";
    expect(wrapped.refresh?.()).toBe("renamed refreshed");
  });

  it("where a spread of the instance loses the class's methods, optional ones silently", () => {
    const real = new RealService();
    // TypeScript knows a spread drops the class's methods: it refuses the required ones (here
    // the getter), so hand-written wrappers re-list them, and says nothing of an optional one.
    const spread = { ...real, greet: (who: string) => `hello ${who}` } as unknown as Service;
    expect(spread.refresh).toBeUndefined();
    expect(spread.calls).toBeUndefined();
    expect(overriding<Service>(real, {}).refresh).toBeTypeOf("function");
  });
});
