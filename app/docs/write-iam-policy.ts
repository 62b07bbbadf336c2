/**
 * Writes the IAM policy k3s-bot needs (app/docs/iam-policy.ts):
 *
 *   tsx app/docs/write-iam-policy.ts
 *       regenerates docs/iam/ from the example definitions (commit the result; a test checks it)
 *   tsx app/docs/write-iam-policy.ts --out my-policy.json clusters/*.yaml
 *       writes the policy for your own definitions (their state bucket, lock table and keys)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generatedIamFiles, IAM_POLICY_PATH } from "./iam/files";
import { EXAMPLE_DEFINITIONS } from "./iam-policy";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function main(argv: string[]): void {
  let out: string | undefined;
  const definitions: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--out") {
      out = argv[++i];
      if (!out) throw new Error("--out needs a file name");
    } else if (arg === "--help" || arg === "-h") {
      process.stdout.write(
        "usage: tsx app/docs/write-iam-policy.ts [--out <file> <definition.yaml>...]\n",
      );
      return;
    } else {
      definitions.push(resolve(arg));
    }
  }
  if (definitions.length > 0 && !out) throw new Error("with definitions, say where: --out <file>");
  const { files } = generatedIamFiles(
    ROOT,
    definitions.length > 0 ? definitions : EXAMPLE_DEFINITIONS,
    out ? resolve(out) : IAM_POLICY_PATH,
  );
  for (const [path, content] of Object.entries(files)) {
    const target = resolve(ROOT, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    process.stdout.write(`wrote ${path}\n`);
  }
}

try {
  main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
