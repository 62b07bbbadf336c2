/**
 * Objects that stand in for another one in tests, by Proxy rather than by copying its members:
 * an object spread (`{ ...instance }`) copies only own enumerable properties, so it drops every
 * method of the instance's class (they live on its prototype), and a wrapper that lists the
 * methods again by hand drops the next one added, or an optional one, without a type error.
 */

/**
 * `target` with some members replaced; every other member is read from `target` when it is
 * read: its class's methods, optional ones, getters, members added later. Methods are bound to
 * `target`, so `this` inside them is the original.
 */
export function overriding<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(object, key) {
      if (Object.hasOwn(overrides, key)) return (overrides as Record<PropertyKey, unknown>)[key];
      const value = Reflect.get(object, key, object);
      return typeof value === "function" ? value.bind(object) : value;
    },
    has(object, key) {
      return Object.hasOwn(overrides, key) || Reflect.has(object, key);
    },
  });
}

/**
 * An object that forwards every property, read or written, to what `current()` returns at that
 * moment: for things a hook makes (an emulator in `beforeAll`, a fresh fake in `beforeEach`)
 * that test files name at their top level.
 */
export function forwarding<T extends object>(what: string, current: () => T | undefined): T {
  const target = () => {
    const now = current();
    if (!now) throw new Error(`${what} is used before the hook that makes it ran`);
    return now;
  };
  return new Proxy({} as T, {
    get(_, key) {
      const now = target();
      const value = Reflect.get(now, key, now);
      return typeof value === "function" ? value.bind(now) : value;
    },
    set(_, key, value) {
      return Reflect.set(target(), key, value);
    },
  });
}
