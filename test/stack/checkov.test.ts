/**
 * checkov on both examples as the bot synthesizes them: every finding is either fixed or
 * accepted once, with its reason, in checkov-accepted.json. A new finding fails; so does an
 * accepted one that no longer fails (the list cannot go stale). checkov runs offline
 * (--skip-download, BC_SKIP_MAPPING): it must not call home from a test.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exampleConfig, synthesize } from "./helpers";

const ROOT = join(import.meta.dirname, "..", "..");
const CHECKOV = join(process.env.CHECKOV_VENV ?? join(ROOT, ".venv-checkov"), "bin", "checkov");
const accepted = JSON.parse(
  readFileSync(join(import.meta.dirname, "checkov-accepted.json"), "utf8"),
).accepted as Record<string, string>;
const work = mkdtempSync(join(tmpdir(), "k3s-bot-checkov-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Finding {
  check_id: string;
  resource: string;
}

function requireCheckov(): void {
  if (!existsSync(CHECKOV))
    throw new Error(
      `checkov is needed for this test but ${CHECKOV} does not exist. Install the pinned version with scripts/setup-checkov.sh (a venv in .venv-checkov/, from PyPI).`,
    );
}

function findings(example: "dev" | "ha"): Finding[] {
  const dir = join(work, example);
  execFileSync("mkdir", ["-p", dir]);
  // Without the `moved` blocks: checkov 3.2.500's terraform_json parser reads every top-level
  // key as an object of named blocks (checkov/terraform_json/parser.py, handle_block_type:
  // `blocks.items()`) and crashes on `moved` and `removed`, lists in Terraform's JSON syntax. A
  // move or a removal carries no configuration to check. Nor `required_version`: the same
  // parser's hclify() raises "this method receives only dicts" on that string in the
  // `terraform` block, which holds no resource either.
  const {
    moved: _moves,
    removed: _removed,
    ...scanned
  } = synthesize(exampleConfig(example)).json as unknown as Record<string, unknown>;
  const { required_version: _version, ...settings } = scanned.terraform as Record<string, unknown>;
  scanned.terraform = settings;
  writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(scanned, null, 2));
  let out: string;
  try {
    out = execFileSync(
      CHECKOV,
      [
        "-f",
        "cdk.tf.json",
        "--framework",
        "terraform_json",
        "--skip-download",
        "--quiet",
        "--compact",
        "-o",
        "json",
      ],
      {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, BC_SKIP_MAPPING: "TRUE" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
  } catch (error) {
    // checkov exits 1 when a check fails; its report is still on stdout.
    out = String((error as { stdout?: string }).stdout ?? "");
  }
  const report = JSON.parse(out) as { results?: { failed_checks: Finding[] }; summary?: unknown };
  if (!report.results) throw new Error(`checkov scanned nothing: ${out.slice(0, 300)}`);
  return report.results.failed_checks;
}

describe("checkov", () => {
  const seen = new Set<string>();

  it.each(["dev", "ha"] as const)(
    "finds nothing in %s that is not accepted with a reason",
    (example) => {
      requireCheckov();
      const failed = findings(example);
      for (const finding of failed) seen.add(finding.check_id);
      const unexplained = failed.filter((f) => !accepted[f.check_id]);
      expect(unexplained.map((f) => `${f.check_id} ${f.resource}`)).toEqual([]);
    },
    120_000,
  );

  it("accepts nothing that no longer fails, and gives every acceptance a reason", () => {
    requireCheckov();
    for (const [id, reason] of Object.entries(accepted)) {
      expect(reason.length, id).toBeGreaterThan(40);
      expect(seen.has(id), `${id} no longer fails: drop it from checkov-accepted.json`).toBe(true);
    }
  });
});
