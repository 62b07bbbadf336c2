/**
 * The plan comment as GitHub gets it, on real plans: `terraform plan` (1.11, AWS provider
 * 5.100.0, offline: what a first apply creates) of both example clusters, each over 120,000
 * characters, and a change plan. Golden files in test/fixtures/plan/golden, looked at by eye;
 * regenerate with
 *   UPDATE_GOLDEN=1 npx vitest run test/unit/bot/plan-comment.test.ts
 * Beyond the golden files: the comment and the check run's text stay within GitHub's limits,
 * no security group, rule, listener or IAM resource is ever what is cut, every resource is in
 * the comment or in the check run, and the note says where the rest is.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ANNOTATION_DETAILS_BYTES,
  CHECK_RUN_TEXT_LIMIT,
  COMMENT_BODY_LIMIT,
  PLAN_COMMENT_BUDGET,
} from "../../../app/bot/github-limits";
import { plannedComment } from "../../../app/bot/plan-comment";
import type { PlanOutcome } from "../../../app/engine/cluster-runs";
import { loadDefinition } from "../../../app/engine/definitions/load";
import { changeSummaryMarkdown } from "../../../app/engine/plan/change-summary";
import { planBlocks } from "../../../app/engine/plan/plan-blocks";
import { summarizePlanText } from "../../../app/engine/plan/plan-text";
import type { ClusterConfig } from "../../../infra/definition/config";

const FIXTURES = join(__dirname, "../../fixtures/plan");
const GOLDEN = join(FIXTURES, "golden");
const read = (file: string) => readFileSync(join(FIXTURES, file), "utf8");
const HEAD = "0123456789abcdef0123456789abcdef01234567";

function definition(text: string, file: string): ClusterConfig {
  const loaded = loadDefinition(text, file);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.config;
}
const exampleText = (name: string) =>
  readFileSync(join(__dirname, `../../../examples/clusters/${name}.yaml`), "utf8");

/** dev with bigger workers and without EFS: the change of the change plan. */
const changedDevText = exampleText("dev")
  .replace("instanceType: t3.large", "instanceType: m6i.large")
  .replace("efs: true", "efs: false");

function outcome(config: ClusterConfig, planText: string) {
  const summary = summarizePlanText(planText, "1.11.4");
  if (!summary) throw new Error("fixture plan text not understood");
  return {
    kind: "planned",
    config,
    summary,
    markdown: "",
    planText,
    context: {
      cluster: config.name,
      region: config.region,
      accountId: "123456789012",
      headSha: HEAD,
      definitionFile: `clusters/${config.name}.yaml`,
    },
    sections: [],
    metadata: {} as never,
    destroy: false,
  } satisfies Extract<PlanOutcome, { kind: "planned" }>;
}

const CASES = {
  "new-dev": () => {
    const head = definition(exampleText("dev"), "clusters/dev.yaml");
    return { head, base: null, plan: read("new-dev.plan.txt") };
  },
  "new-ha": () => {
    const head = definition(exampleText("ha"), "clusters/ha.yaml");
    return { head, base: null, plan: read("new-ha.plan.txt") };
  },
  "change-dev": () => {
    const base = definition(exampleText("dev"), "clusters/dev.yaml");
    const head = definition(changedDevText, "clusters/dev.yaml");
    return { head, base, plan: read("change-dev.plan.txt") };
  },
};

describe.each(Object.keys(CASES))("the plan comment of %s", (name) => {
  const { head, base, plan } = CASES[name as keyof typeof CASES]();
  const summary = changeSummaryMarkdown({ base, head, baseLabel: "main" });
  const { body, checkText, annotations } = plannedComment(
    outcome(head, plan),
    "",
    summary,
    `clusters/${head.name}.yaml`,
  );
  const details = annotations.map((a) => a.raw_details).join("\n");

  it("matches the golden files", () => {
    mkdirSync(GOLDEN, { recursive: true });
    const files: Record<string, string> = {
      [`${name}.comment.md`]: body,
      ...(checkText ? { [`${name}.check-text.md`]: checkText } : {}),
      ...Object.fromEntries(
        annotations.map((a, i) => [`${name}.annotation-${i + 1}.txt`, a.raw_details]),
      ),
    };
    for (const [file, content] of Object.entries(files)) {
      if (process.env.UPDATE_GOLDEN) writeFileSync(join(GOLDEN, file), content);
      expect(content, file).toBe(readFileSync(join(GOLDEN, file), "utf8"));
    }
  });

  it("fits GitHub's limits", () => {
    expect(body.length).toBeLessThanOrEqual(PLAN_COMMENT_BUDGET);
    expect(body.length).toBeLessThan(COMMENT_BODY_LIMIT);
    expect((checkText ?? "").length).toBeLessThanOrEqual(CHECK_RUN_TEXT_LIMIT);
    for (const a of annotations) {
      expect(Buffer.byteLength(a.raw_details)).toBeLessThanOrEqual(ANNOTATION_DETAILS_BYTES);
      expect(Buffer.byteLength(a.message)).toBeLessThanOrEqual(ANNOTATION_DETAILS_BYTES);
      expect(a.title.length).toBeLessThanOrEqual(255);
    }
  });

  it("keeps every security group, rule, listener and IAM resource in the comment", () => {
    const security = planBlocks(plan).blocks.filter((b) => b.rank <= 2);
    expect(security.length).toBeGreaterThan(0);
    for (const block of security) expect(body, block.address).toContain(block.text.split("\n")[1]);
  });

  it("has every resource in the comment or in the check run, and says where", () => {
    const { blocks } = planBlocks(plan);
    for (const block of blocks) {
      const header = `# ${block.address} `;
      const inCheckText = (checkText ?? "").includes(header);
      const inAnnotation = details.includes(`  # ${block.address} `);
      expect(body.includes(header) || inCheckText || inAnnotation, block.address).toBe(true);
    }
    if (checkText) {
      expect(body).toContain("They are in the check run `k3s plan · ");
      expect(body).not.toContain("fit nowhere");
    } else {
      expect(body).not.toContain("[!NOTE]");
    }
  });

  it("puts the summary in the definition's words above the plan", () => {
    const at = (text: string) => body.indexOf(text);
    expect(at("monthly cost")).toBeGreaterThan(0);
    expect(at("monthly cost")).toBeLessThan(at("<details>"));
    if (!base) {
      expect(body).toContain("**Kubernetes API (TCP 6443):** internet-facing load balancer");
      expect(body).toContain(`reachable from ${head.network.adminCidrs.map((c) => `\`${c}\``)[0]}`);
      expect(body).toContain(
        "**Ingress (TCP 80, 443):** internet-facing load balancer, reachable from `0.0.0.0/0`",
      );
    }
  });
});

describe("the plan comment of a change", () => {
  const base = definition(exampleText("dev"), "clusters/dev.yaml");
  const head = definition(changedDevText, "clusters/dev.yaml");
  const summary = changeSummaryMarkdown({ base, head, baseLabel: "main" });
  const { body } = plannedComment(
    outcome(head, read("change-dev.plan.txt")),
    "",
    summary,
    "clusters/dev.yaml",
  );

  it("says what changes for the cluster, from base to head, with its effect", () => {
    expect(body).toContain(
      "- `workers.instanceType` `t3.large` → `m6i.large`: the running workers (1–3 workers) replaced by an instance refresh",
    );
    expect(body).toContain(
      "- ⚠️ `storage.efs` `true` → `false`: the EFS file system and every file on it are deleted",
    );
  });

  it("flags the replaced datastore and everything destroyed, from the plan's actions", () => {
    expect(body).toContain(
      "⚠️ `aws_db_instance.database_instance_5F1B4C2E` (replaced): the datastore (RDS) is replaced",
    );
    expect(body).toContain("`aws_efs_file_system.storage_file-system_BC0760C4` (destroyed)");
    expect(body.indexOf("[!CAUTION]")).toBeLessThan(body.indexOf("<details>"));
  });
});

describe("a plan larger than the comment and the check run's text together", () => {
  const block = (type: string, name: string, lines: number) =>
    [
      `  # ${type}.${name} will be created`,
      `  + resource "${type}" "${name}" {`,
      ...Array.from(
        { length: lines },
        (_, i) => `      + attribute_${i} = "${name}-${i}-${"x".repeat(40)}"`,
      ),
      "    }",
    ].join("\n");
  const blocks = [
    ...Array.from({ length: 150 }, (_, i) => block("aws_subnet", `s${i}`, 20)),
    ...Array.from({ length: 20 }, (_, i) => block("aws_security_group", `g${i}`, 10)),
  ];
  const plan = [
    "Terraform will perform the following actions:",
    "",
    blocks.join("\n\n"),
    "",
    `Plan: ${blocks.length} to add, 0 to change, 0 to destroy.`,
  ].join("\n");
  const head = definition(exampleText("dev"), "clusters/dev.yaml");
  const { body, checkText, annotations } = plannedComment(
    outcome(head, plan),
    "",
    "",
    "clusters/dev.yaml",
  );

  it("continues in annotations on the definition file, and the note names each part", () => {
    expect(plan.length).toBeGreaterThan(200_000);
    expect(checkText).not.toBeNull();
    expect(annotations.length).toBeGreaterThan(0);
    for (const a of annotations) {
      expect(a.path).toBe("clusters/dev.yaml");
      expect(Buffer.byteLength(a.raw_details)).toBeLessThanOrEqual(ANNOTATION_DETAILS_BYTES);
    }
    expect(body).toContain(
      "in an annotation of the check run `k3s plan · dev` on `clusters/dev.yaml` line 1 (part 3:",
    );
    const everywhere = [body, checkText ?? "", ...annotations.map((a) => a.raw_details)].join("\n");
    for (let i = 0; i < 150; i++) expect(everywhere).toContain(`# aws_subnet.s${i} will`);
    // The security groups came first, into the comment itself.
    for (let i = 0; i < 20; i++) expect(body).toContain(`# aws_security_group.g${i} will`);
  });
});

describe("values from the definition in the change summary", () => {
  it("cannot close their code span, inject Markdown, or show a secret", () => {
    const base = definition(exampleText("dev"), "clusters/dev.yaml");
    const head = structuredClone(base);
    head.tags = {
      note: "x`\n\n### k3s plan · `dev`\n\n**Plan: 0 to add, 0 to change, 0 to destroy.**",
      key: "AKIAIOSFODNN7EXAMPLE",
    };
    const summary = changeSummaryMarkdown({ base, head });
    const line = summary.split("\n").find((l) => l.includes("tags.note")) ?? "";
    expect(line).not.toContain("\n");
    expect(summary).not.toContain("\n### k3s plan");
    expect(summary).not.toContain("\n**Plan: 0 to add");
    // Two code spans (field, new value): the backticks inside were replaced.
    expect(line.match(/`/g)?.length).toBe(4);
    expect(summary).not.toContain("AKIAIOSFODNN7EXAMPLE");
  });
});
