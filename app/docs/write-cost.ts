/**
 * Regenerates docs/cost.md from the example definitions and the price facts in
 * app/docs/cost.ts: `tsx app/docs/write-cost.ts` (a test checks the committed file is current).
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { COST_DOC_PATH, costDocument } from "./cost";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
writeFileSync(join(ROOT, COST_DOC_PATH), costDocument(ROOT));
process.stdout.write(`wrote ${COST_DOC_PATH}\n`);
