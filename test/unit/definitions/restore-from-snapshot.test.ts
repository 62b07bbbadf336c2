/**
 * `datastore.restoreFromSnapshot`: what the definition accepts, where it maps in the stack, and
 * how the PR says what it does before the plan runs ("What this changes") and in the plan's list
 * of replacements. That it really replaces the instance is shown by Terraform with the AWS
 * provider itself: test/stack/datastore-restore.test.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { snapshotIdentifier } from "../../../app/engine/datastore-snapshot";
import { loadDefinition } from "../../../app/engine/definitions/load";
import { changeLines, definitionChanges } from "../../../app/engine/plan/cluster-facts";
import { renderPlanMarkdown } from "../../../app/engine/plan/markdown";
import { withDefinitionRisks } from "../../../app/engine/plan/plan-risk";
import type { PlanSummary } from "../../../app/engine/plan/summary";
import type { ClusterConfig } from "../../../infra/definition/config";
import { synthesizeCluster } from "../../../infra/synth";
import { evaluate, type Policy } from "../../docs/iam-evaluator";

const DEV = readFileSync(join(__dirname, "../../../examples/clusters/dev.yaml"), "utf8");
const SNAPSHOT = "k3s-bot-pre-apply-dev-datastore-20261129050000";

function load(source: string) {
  return loadDefinition(source, "clusters/dev.yaml");
}
function config(source: string): ClusterConfig {
  const loaded = load(source);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.config;
}
const withSnapshot = (id: string, text = DEV) =>
  text.replace(
    "  finalSnapshot: false\n",
    `  finalSnapshot: false\n  restoreFromSnapshot: "${id}"\n`,
  );

describe("datastore.restoreFromSnapshot", () => {
  it("takes the cluster's own snapshots: k3s-bot's pre-apply ones, automated, final, shared", () => {
    for (const id of [
      SNAPSHOT,
      snapshotIdentifier("dev-datastore", new Date("2026-11-30T17:45:09Z")),
      "rds:dev-datastore-2026-11-29-05-00",
      "dev-datastore-final",
      "arn:aws:rds:eu-central-1:123456789012:snapshot:dev-datastore-final",
    ]) {
      const loaded = load(withSnapshot(id));
      expect(loaded.ok, `${id}: ${JSON.stringify(loaded.ok ? "" : loaded.problems)}`).toBe(true);
    }
  });

  it("refuses another cluster's snapshot, or one whose name does not tell", () => {
    for (const id of [
      "k3s-bot-pre-apply-prod-datastore-20261129050000",
      // A cluster named dev-datastore-x: its snapshots start like dev's.
      "k3s-bot-pre-apply-dev-datastore-x-datastore-20261129050000",
      "rds:dev-datastore-x-datastore-2026-11-29-05-00",
      "arn:aws:rds:eu-central-1:123456789012:snapshot:prod-datastore-final",
      "my-manual-copy",
    ]) {
      const loaded = load(withSnapshot(id));
      expect(loaded.ok, id).toBe(false);
      if (loaded.ok) continue;
      const problem = loaded.problems.find((p) => p.field === "datastore.restoreFromSnapshot");
      expect(problem?.message, id).toContain(
        "is not a snapshot of this cluster's datastore dev-datastore",
      );
      expect(problem?.message).toContain("aws rds copy-db-snapshot");
    }
  });

  it("refuses what RDS would not take, with the field's line", () => {
    for (const id of [
      "1snapshot",
      "two--hyphens",
      "trailing-",
      "a b",
      "x;rm",
      "",
      "rds:",
      `a${"b".repeat(1100)}`,
    ]) {
      const loaded = load(withSnapshot(id));
      expect(loaded.ok, id).toBe(false);
      if (loaded.ok) continue;
      expect(
        loaded.problems.map((p) => p.field),
        id,
      ).toContain("datastore.restoreFromSnapshot");
      expect(loaded.problems[0]?.line).toBeGreaterThan(1);
    }
  });

  it("is refused with embedded etcd, pointing to k3s-bot restore", () => {
    const loaded = load(
      withSnapshot(SNAPSHOT).replace(
        "engine: postgres\n  instanceClass: db.t4g.small",
        "engine: etcd",
      ),
    );
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    const problem = loaded.problems.find((p) => p.field === "datastore.restoreFromSnapshot");
    expect(problem?.message).toContain("restore an etcd snapshot with `k3s-bot restore` instead");
  });

  it("becomes the RDS instance's snapshot_identifier, and nothing without it", () => {
    const instance = (text: string) => {
      const json = synthesizeCluster(config(text)) as {
        resource: { aws_db_instance: Record<string, Record<string, unknown>> };
      };
      return Object.values(json.resource.aws_db_instance)[0] ?? {};
    };
    expect(instance(withSnapshot(SNAPSHOT)).snapshot_identifier).toBe(SNAPSHOT);
    expect(instance(DEV)).not.toHaveProperty("snapshot_identifier");
  });

  it("is flagged in 'What this changes' as replacing the datastore, and its removal as harmless", () => {
    const base = config(DEV);
    const head = config(withSnapshot(SNAPSHOT));
    expect(changeLines(definitionChanges(base, head), head)).toEqual([
      `- ⚠️ \`datastore.restoreFromSnapshot\` (unset) → \`${SNAPSHOT}\`: the RDS datastore is replaced by a new instance restored from snapshot \`${SNAPSHOT}\`: everything written after it is lost (the current database is snapshotted first); the servers are replaced after the apply`,
    ]);
    expect(changeLines(definitionChanges(head, base), base)).toEqual([
      `- \`datastore.restoreFromSnapshot\` \`${SNAPSHOT}\` → (unset): nothing changes: the database keeps what it was restored from`,
    ]);
  });

  it("the plan's replacement of the instance says it is restored, not emptied", () => {
    const replaced = {
      address: "aws_db_instance.datastore",
      type: "aws_db_instance",
      kind: "replace" as const,
    };
    const summary: PlanSummary = {
      add: 1,
      change: 0,
      destroy: 1,
      replace: 1,
      byType: [{ type: "aws_db_instance", add: 0, change: 0, replace: 1, destroy: 0 }],
      destructive: [replaced],
      changes: [replaced],
      outputChanges: [],
      hasChanges: true,
      terraformVersion: "1.11.4",
    };
    const context = { cluster: "dev", region: "eu-central-1" };
    const plain = renderPlanMarkdown(context, withDefinitionRisks(summary, config(DEV)), "");
    expect(plain).toContain(
      "⚠️ `aws_db_instance.datastore` (replaced): the datastore (RDS) is replaced: a new, empty database",
    );
    const restored = renderPlanMarkdown(
      context,
      withDefinitionRisks(summary, config(withSnapshot(SNAPSHOT))),
      "",
    );
    expect(restored).toContain(
      `⚠️ \`aws_db_instance.datastore\` (replaced): the datastore (RDS) is replaced by a new instance restored from snapshot \`${SNAPSHOT}\``,
    );
    expect(restored).not.toContain("a new, empty database");
  });
});

describe("rds:RestoreDBInstanceFromDBSnapshot in the bot's committed policy", () => {
  const ROOT = join(__dirname, "../../..");
  const bot = JSON.parse(
    readFileSync(join(ROOT, "docs/iam/k3s-bot-policy.json"), "utf8"),
  ) as Policy;
  const rds = (resource: string) => `arn:aws:rds:eu-central-1:111122223333:${resource}`;
  const asBot = (resource: string) =>
    evaluate(
      {
        action: "rds:RestoreDBInstanceFromDBSnapshot",
        resource,
        context: { "aws:PrincipalAccount": "111122223333" },
      },
      [bot],
    );

  it("restores the example clusters' own snapshots into their own instances", () => {
    for (const resource of [
      "db:dev-datastore",
      `snapshot:${SNAPSHOT}`,
      "snapshot:rds:dev-datastore-2026-11-29-05-00",
      "snapshot:dev-datastore-final",
      "subgrp:dev-datastore",
      "pg:dev-datastore-postgres15",
    ])
      expect(asBot(rds(resource)), resource).toBe("allow");
  });

  it("never from or into anything else of the account", () => {
    for (const resource of [
      "snapshot:payments-2026-11-29",
      "snapshot:rds:payments-2026-11-29-05-00",
      "db:payments",
      "snapshot:dev-datastore-x",
    ])
      expect(asBot(rds(resource)), resource).not.toBe("allow");
  });
});
