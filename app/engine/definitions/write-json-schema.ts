/**
 * Writes `schema/cluster.schema.json` from the zod schema (`npm run schema`). A unit test fails
 * when the committed file drifts from the schema, so run this after changing `schema.ts`.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CLUSTER_SCHEMA_PATH, clusterJsonSchemaText } from "./json-schema";

const target = fileURLToPath(new URL(`../../../${CLUSTER_SCHEMA_PATH}`, import.meta.url));
writeFileSync(target, clusterJsonSchemaText());
process.stdout.write(`wrote ${CLUSTER_SCHEMA_PATH}\n`);
