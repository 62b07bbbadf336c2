/**
 * The JSON Schema of cluster definitions, for editors (`# yaml-language-server: $schema=…`),
 * generated from the zod schema so the two cannot disagree. The input side is used: fields
 * with defaults are optional there, which is what a user may write.
 */
import { z } from "zod";
import { ClusterDefinitionSchema } from "../../../infra/definition/schema";

export const CLUSTER_SCHEMA_ID =
  "https://github.com/k3s-bot/k3s-bot/raw/main/schema/cluster.schema.json";

/** Where the generated schema is committed, relative to the repository root. */
export const CLUSTER_SCHEMA_PATH = "schema/cluster.schema.json";

export function clusterJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(ClusterDefinitionSchema, { io: "input" });
  const { $schema, ...rest } = generated as Record<string, unknown>;
  // $id and title first, so the committed file reads well from the top.
  return { $schema, $id: CLUSTER_SCHEMA_ID, title: "k3s-bot cluster definition", ...rest };
}

/** The file's exact text: pretty-printed with a trailing newline, as committed. */
export function clusterJsonSchemaText(): string {
  return `${JSON.stringify(clusterJsonSchema(), null, 2)}\n`;
}
