/**
 * The plan summary read from `terraform plan`'s own text must equal the one from
 * `terraform show -json`, and the text must equal `terraform show`'s. Checked on real Terraform
 * plans with every kind of change (create, update, replace both ways, destroy, deposed-free
 * count and for_each keys with dots, a module, outputs added, changed and removed, a destroy
 * plan, no changes), using Terraform's built-in `terraform_data`: no provider, no network.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  planTextFromStdout,
  resourceOfAddress,
  summarizePlanText,
} from "../../app/engine/plan/plan-text";
import { summarizePlan } from "../../app/engine/plan/summary";
import { TerraformRunner } from "../../app/engine/terraform/runner";
import { requireTerraform } from "../support/tools";

let dir: string;
let runner: TerraformRunner;

const module = `
variable "v" { type = string }
resource "terraform_data" "inner" { input = var.v }
output "inner" { value = terraform_data.inner.output }
`;

function config(version: 1 | 2): string {
  const v1 = version === 1;
  return `
resource "terraform_data" "keep" { input = "same" }
resource "terraform_data" "update" { input = "${v1 ? "one" : "two"}" }
resource "terraform_data" "replace" { triggers_replace = ["${v1 ? "one" : "two"}"] }
resource "terraform_data" "replace_first" {
  triggers_replace = ["${v1 ? "one" : "two"}"]
  lifecycle { create_before_destroy = true }
}
${v1 ? 'resource "terraform_data" "gone" { input = 1 }' : 'resource "terraform_data" "new" { input = 1 }'}
resource "terraform_data" "counted" {
  count = ${v1 ? 3 : 1}
  input = count.index
}
resource "terraform_data" "keyed" {
  for_each = toset(${v1 ? '["a.b", "c"]' : '["a.b", "d[1]"]'})
  input    = each.key
}
module "m" {
  source = "./m"
  v      = "${v1 ? "one" : "two"}"
}
output "kept" { value = "same" }
output "changed" { value = "${v1 ? "one" : "two"}" }
${v1 ? 'output "removed" { value = 1 }' : 'output "added" { value = { a = 1, b = [2] } }'}
`;
}

async function planBoth(args: string[] = []) {
  const plan = await runner.plan("t.tfplan", args);
  const text = planTextFromStdout(plan.run.stdout);
  const json = summarizePlan(await runner.showJson("t.tfplan"));
  const shown = (await runner.showText("t.tfplan")).trimEnd();
  const fromText = summarizePlanText(text, json.terraformVersion);
  return { plan, text, json, shown, fromText };
}

beforeAll(async () => {
  requireTerraform();
  dir = mkdtempSync(join(tmpdir(), "k3s-plan-text-"));
  mkdirSync(join(dir, "m"));
  writeFileSync(join(dir, "m", "main.tf"), module);
  writeFileSync(join(dir, "main.tf"), config(1));
  runner = new TerraformRunner(dir);
  await runner.init();
  await runner.run(["apply", "-auto-approve", "-input=false", "-no-color"]);
  writeFileSync(join(dir, "main.tf"), config(2));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("summary from the plan's text", () => {
  it("equals show -json's for every kind of change, and the text equals show's", async () => {
    const { plan, text, json, shown, fromText } = await planBoth();
    expect(plan.run.stdout).toContain("Refreshing state...");
    expect(text).toBe(shown.trim());
    expect(json.replace).toBe(2);
    expect(json.change).toBeGreaterThan(0);
    expect(json.destructive.length).toBeGreaterThan(2);
    expect(json.outputChanges.sort()).toEqual(["added", "changed", "removed"]);
    expect(fromText).toEqual(json);
  });

  it("equals show -json's for a destroy plan", async () => {
    const { text, json, shown, fromText } = await planBoth(["-destroy"]);
    expect(text).toBe(shown.trim());
    expect(json.destroy).toBeGreaterThan(5);
    expect(fromText).toEqual(json);
  });

  it("equals show -json's when nothing changes", async () => {
    await runner.run(["apply", "-auto-approve", "-input=false", "-no-color"]);
    const { plan, text, json, shown, fromText } = await planBoth();
    expect(plan.hasChanges).toBe(false);
    expect(text).toBe(shown.trim());
    expect(fromText).toEqual(json);
    expect(fromText?.hasChanges).toBe(false);
  });
});

describe("what it does not trust", () => {
  const text = [
    "Terraform will perform the following actions:",
    "",
    "  # terraform_data.a will be created",
    '  + resource "terraform_data" "a" {}',
    "",
    "Plan: 1 to add, 0 to change, 0 to destroy.",
  ].join("\n");

  it("reads a plain plan", () => {
    expect(summarizePlanText(text, "1.11.4")).toMatchObject({ add: 1, hasChanges: true });
  });

  it("gives up on totals that do not add up, unknown wording, or no verdict at all", () => {
    expect(summarizePlanText(text.replace("1 to add", "2 to add"), "x")).toBeNull();
    expect(
      summarizePlanText(text.replace("will be created", "will be teleported"), "x"),
    ).toBeNull();
    expect(summarizePlanText(text.replace(/^Plan: .*$/m, ""), "x")).toBeNull();
    expect(summarizePlanText("Something else entirely.", "x")).toBeNull();
  });

  it("strips progress lines only", () => {
    const stdout = [
      "aws_vpc.main: Refreshing state... [id=vpc-1]",
      "data.aws_x.y: Reading...",
      "data.aws_x.y: Read complete after 0s [id=1]",
      "Acquiring state lock. This may take a few moments...",
      "",
      "No changes. Your infrastructure matches the configuration.",
      "Releasing state lock. This may take a few moments...",
    ].join("\n");
    expect(planTextFromStdout(stdout)).toBe(
      "No changes. Your infrastructure matches the configuration.",
    );
  });

  it("finds resource types behind modules, indexes and keys with dots", () => {
    expect(resourceOfAddress('module.a["x.y"].module.b.aws_subnet.private["eu.1"]')).toEqual({
      type: "aws_subnet",
      mode: "managed",
    });
    expect(resourceOfAddress("module.a.data.aws_ami.ubuntu")).toEqual({
      type: "aws_ami",
      mode: "data",
    });
    expect(resourceOfAddress("aws_instance.a (deposed object 1a2b3c4d)").type).toBe("aws_instance");
  });
});
