import { describe, expect, it } from "vitest";
import { COMMENT_BODY_LIMIT } from "../../../app/bot/github-limits";
import { renderPlanMarkdown, toDiff } from "../../../app/engine/plan/markdown";
import { summarizePlan } from "../../../app/engine/plan/summary";

const summary = summarizePlan({
  resource_changes: [
    { address: "aws_vpc.main", type: "aws_vpc", change: { actions: ["create"] } },
    {
      address: "aws_db_instance.k3s",
      type: "aws_db_instance",
      change: { actions: ["delete", "create"] },
    },
  ],
});
const context = {
  cluster: "dev",
  region: "eu-central-1",
  accountId: "123456789012",
  headSha: "0123456789abcdef",
};

describe("toDiff", () => {
  it.each([
    ['  + resource "aws_vpc" "main" {', '+  + resource "aws_vpc" "main" {'],
    ['      - cidr = "10.0.0.0/16"', '-      - cidr = "10.0.0.0/16"'],
    ['  ~ resource "aws_subnet" "a" {', '!  ~ resource "aws_subnet" "a" {'],
    ['-/+ resource "aws_db_instance" "k3s" {', '!-/+ resource "aws_db_instance" "k3s" {'],
    [
      "Terraform will perform the following actions:",
      "Terraform will perform the following actions:",
    ],
  ])("%s", (line, expected) => {
    expect(toDiff(line)).toBe(expected);
  });
});

describe("renderPlanMarkdown", () => {
  it("puts the summary first, warns about destruction, folds the full plan", () => {
    const md = renderPlanMarkdown(context, summary, '  + resource "aws_vpc" "main" {}');
    const headline = md.indexOf("Plan: 2 to add, 0 to change, 1 to destroy.");
    const details = md.indexOf("<details>");
    expect(headline).toBeGreaterThan(0);
    expect(details).toBeGreaterThan(headline);
    expect(md).toContain("account `123456789012`");
    expect(md).toContain("commit `0123456`");
    expect(md).toContain("[!CAUTION]");
    expect(md).toContain("`aws_db_instance.k3s` (replaced)");
    expect(md).toContain("```diff\n+  + resource");
  });

  it("redacts secrets in the plan body", () => {
    const md = renderPlanMarkdown(
      context,
      summary,
      '  + tags = { "leak" = "AKIAIOSFODNN7EXAMPLE" }',
    );
    expect(md).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(md).toContain("<redacted>");
  });

  it("stays within the size it is given and says what was cut", () => {
    const huge = Array.from(
      { length: 8000 },
      (_, i) => `  + resource "aws_subnet" "s${i}" { cidr_block = "10.0.${i % 255}.0/24" }`,
    ).join("\n");
    const md = renderPlanMarkdown(context, summary, huge, { maxChars: COMMENT_BODY_LIMIT });
    expect(md.length).toBeLessThan(COMMENT_BODY_LIMIT);
    expect(md).toContain("was cut to fit");
    // The fold is still closed, so the rest of the comment renders.
    expect(md.indexOf("</details>")).toBeGreaterThan(md.indexOf("… (cut)"));
  });

  it("marks offline plans", () => {
    const md = renderPlanMarkdown(
      { cluster: "dev", region: "eu-central-1", offline: true },
      summary,
      "",
    );
    expect(md).toContain("Offline plan");
  });
});
