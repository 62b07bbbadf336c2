/**
 * The committed references are what the generator produces from the schemas now, and the
 * generator describes every cross-field check in rules.ts.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CROSS_FIELD_RULES, generatedDocs } from "../../app/docs/definition-reference";
import { ClusterDefinitionSchema } from "../../infra/definition/schema";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

describe("generated references", () => {
  for (const [path, content] of Object.entries(generatedDocs())) {
    it(`${path} is up to date (run \`npm run docs\` after changing a schema)`, () => {
      expect(read(path)).toBe(content);
    });
  }

  it("describe every cross-field check of rules.ts, and no check that is gone", () => {
    const source = read("infra/definition/rules.ts");
    const checks = [...source.matchAll(/^function (check\w+)\(/gm)].map((m) => m[1]);
    expect(checks.length).toBeGreaterThan(5);
    expect(Object.keys(CROSS_FIELD_RULES).sort()).toEqual([...checks].sort());
  });

  it("list every field of the cluster definition, with its default", () => {
    const reference = generatedDocs()["docs/definition-reference.md"] ?? "";
    const defaults = ClusterDefinitionSchema.parse({
      name: "dev",
      region: "eu-central-1",
      network: { adminCidrs: ["203.0.113.7/32"] },
      state: { bucket: "acme-tfstate" },
    });
    for (const [section, value] of Object.entries(defaults)) {
      if (value === null || typeof value !== "object" || Array.isArray(value)) continue;
      for (const [field, fieldDefault] of Object.entries(value)) {
        if (section === "tags") continue;
        const row = reference
          .split("\n")
          .find((line) => line.startsWith(`| \`${section}.${field}\``));
        expect(row, `${section}.${field}`).toBeDefined();
        if (typeof fieldDefault !== "object" && !row?.includes("**required**"))
          expect(row).toContain(`\`${fieldDefault}\``);
      }
    }
  });
});
