/** A destroy that would stop half-way at a protected database is refused before it starts. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { destroyBlockedBy } from "../../../app/engine/cluster-runs";
import { loadDefinition } from "../../../app/engine/definitions/load";

function example(name: string, edit: (text: string) => string = (t) => t) {
  const file = `examples/clusters/${name}.yaml`;
  const loaded = loadDefinition(edit(readFileSync(file, "utf8")), file);
  if (!loaded.ok) throw new Error(`${file} does not load`);
  return loaded.config;
}

describe("destroyBlockedBy", () => {
  it.each([
    ["ha: postgres with deletion protection (the default)", example("ha"), true],
    ["dev: protection turned off", example("dev"), false],
    [
      "dev with protection turned back on",
      example("dev", (t) => t.replace("deletionProtection: false", "deletionProtection: true")),
      true,
    ],
  ])("%s", (_, config, blocked) => {
    const reason = destroyBlockedBy(config);
    if (!blocked) return expect(reason).toBeNull();
    expect(reason).toContain(`the datastore of ${config.name} has deletion protection`);
    expect(reason).toContain("`datastore.deletionProtection: false`");
  });
});
