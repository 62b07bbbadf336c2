/** The change summary's field-by-field diff, base → head, and what each change does. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadDefinition } from "../../../app/engine/definitions/load";
import { changeLines, definitionChanges } from "../../../app/engine/plan/cluster-facts";
import type { ClusterConfig } from "../../../infra/definition/config";

const text = readFileSync(join(__dirname, "../../../examples/clusters/dev.yaml"), "utf8");
function load(source: string): ClusterConfig {
  const loaded = loadDefinition(source, "clusters/dev.yaml");
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.config;
}
const base = load(text);

describe("definitionChanges", () => {
  it("is empty for the same definition", () => {
    expect(definitionChanges(base, load(text))).toEqual([]);
  });

  it("lists each changed field with before and after, flagging the irreversible", () => {
    const head = load(
      text
        .replace("engine: postgres\n  instanceClass: db.t4g.small", "engine: etcd")
        .replace("adminCidrs: [203.0.113.7/32]", "adminCidrs: [203.0.113.7/32, 198.51.100.0/24]")
        .replace("  count: 1\n", "  count: 3\n"),
    );
    const lines = changeLines(definitionChanges(base, head), head);
    expect(lines).toContain(
      '- `network.adminCidrs` `["203.0.113.7/32"]` → `["203.0.113.7/32","198.51.100.0/24"]`: changes who can reach the Kubernetes API',
    );
    expect(lines).toContain(
      "- ⚠️ `datastore.engine` `postgres` → `etcd`: a new, empty datastore: the cluster's state is not migrated",
    );
    expect(lines).toContain("- `controlPlane.count` `1` → `3`");
  });
});
