import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  CLUSTER_SCHEMA_PATH,
  clusterJsonSchema,
  clusterJsonSchemaText,
} from "../../../app/engine/definitions/json-schema";

describe("the committed JSON Schema", () => {
  it("matches the zod schema (run `npx tsx app/engine/definitions/write-json-schema.ts`)", () => {
    expect(readFileSync(CLUSTER_SCHEMA_PATH, "utf8")).toBe(clusterJsonSchemaText());
  });

  it("describes the input side: defaulted fields optional, unknown keys refused", () => {
    const schema = clusterJsonSchema() as {
      $id: string;
      title: string;
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { required?: string[] }>;
    };
    expect(schema.$id).toMatch(/cluster\.schema\.json$/);
    expect(schema.title).toBe("k3s-bot cluster definition");
    expect([...schema.required].sort()).toEqual(["name", "network", "region", "state"]);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.network?.required).toEqual(["adminCidrs"]);
    expect(schema.properties.state?.required).toEqual(["bucket"]);
  });
});
