/**
 * What `datastore.restoreFromSnapshot` does to an existing database, as Terraform 1.11 with the
 * AWS provider 5.100.0 (the filesystem mirror) plans it: the RDS instance exactly as the stack
 * synthesizes it (its references to other resources left out), against a state that holds the
 * instance as created without the field. Offline: placeholder credentials, no refresh, so the
 * provider's own diff decides. The plan JSON then goes through the plan comment's code.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadDefinition } from "../../app/engine/definitions/load";
import { renderPlanMarkdown } from "../../app/engine/plan/markdown";
import { withDefinitionRisks } from "../../app/engine/plan/plan-risk";
import { summarizePlan } from "../../app/engine/plan/summary";
import { terraformEnvironment } from "../../app/engine/terraform/cli-config";
import type { ClusterConfig } from "../../infra/definition/config";
import { synthesizeCluster } from "../../infra/synth";
import { requireTerraform } from "../support/tools";

const DEV = readFileSync(join(__dirname, "../../examples/clusters/dev.yaml"), "utf8");
const SNAPSHOT = "k3s-bot-pre-apply-dev-datastore-20261129050000";
const work = mkdtempSync(join(tmpdir(), "k3s-bot-datastore-restore-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function config(text: string): ClusterConfig {
  const loaded = loadDefinition(text, "clusters/dev.yaml");
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.config;
}
const withSnapshot = DEV.replace(
  "  finalSnapshot: false\n",
  `  finalSnapshot: false\n  restoreFromSnapshot: ${SNAPSHOT}\n`,
);

/** The stack's aws_db_instance without the attributes that refer to other resources. */
function instanceOf(definition: string): Record<string, unknown> {
  const json = synthesizeCluster(config(definition)) as {
    resource: { aws_db_instance: Record<string, Record<string, unknown>> };
  };
  const [block] = Object.values(json.resource.aws_db_instance);
  const kept = Object.entries(block ?? {}).filter(
    ([key, value]) => !JSON.stringify(value).includes("${") && key !== "//" && key !== "lifecycle",
  );
  return Object.fromEntries(kept);
}

/** Plans `definition` against a state holding the instance as `existing` describes it. */
function plan(definition: string, existing: Record<string, unknown>) {
  const dir = mkdtempSync(join(work, "plan-"));
  const environment = terraformEnvironment();
  const run = (...args: string[]) =>
    execFileSync(environment.binary, args, {
      cwd: dir,
      env: { ...process.env, ...environment.env },
      encoding: "utf8",
    });
  writeFileSync(
    join(dir, "main.tf.json"),
    JSON.stringify({
      terraform: {
        required_providers: { aws: { source: "hashicorp/aws", version: "5.100.0" } },
      },
      provider: {
        aws: [
          {
            region: "eu-central-1",
            access_key: "offline-plan",
            secret_key: "offline-plan",
            skip_credentials_validation: true,
            skip_requesting_account_id: true,
            skip_metadata_api_check: "true",
            skip_region_validation: true,
          },
        ],
      },
      resource: { aws_db_instance: { datastore: instanceOf(definition) } },
    }),
  );
  const { tags, ...attributes } = existing as { tags?: Record<string, string> };
  writeFileSync(
    join(dir, "terraform.tfstate"),
    JSON.stringify({
      version: 4,
      terraform_version: "1.11.4",
      serial: 1,
      lineage: "6c1f3a52-0000-4000-8000-000000000001",
      outputs: {},
      resources: [
        {
          mode: "managed",
          type: "aws_db_instance",
          name: "datastore",
          provider: 'provider["registry.terraform.io/hashicorp/aws"]',
          instances: [
            {
              schema_version: 2,
              attributes: {
                ...attributes,
                id: "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                resource_id: "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                tags: tags ?? {},
                tags_all: tags ?? {},
              },
            },
          ],
        },
      ],
    }),
  );
  run("init", "-input=false", "-no-color");
  run("plan", "-refresh=false", "-input=false", "-no-color", "-out=restore.tfplan");
  return JSON.parse(run("show", "-json", "restore.tfplan")) as {
    resource_changes: Array<{
      address: string;
      type: string;
      change: { actions: string[]; replace_paths?: unknown[]; after: Record<string, unknown> };
    }>;
  };
}

describe("datastore.restoreFromSnapshot with the real AWS provider", () => {
  it("replaces the existing instance, and the plan comment says it is restored from the snapshot", () => {
    requireTerraform();
    const planned = plan(withSnapshot, instanceOf(DEV));
    const [change] = planned.resource_changes;
    expect(change?.change.actions).toEqual(["delete", "create"]);
    expect(change?.change.replace_paths).toEqual([["snapshot_identifier"]]);
    expect(change?.change.after.snapshot_identifier).toBe(SNAPSHOT);

    const summary = withDefinitionRisks(summarizePlan(planned), config(withSnapshot));
    const markdown = renderPlanMarkdown({ cluster: "dev", region: "eu-central-1" }, summary, "");
    expect(markdown).toContain(
      `- ⚠️ \`aws_db_instance.datastore\` (replaced): the datastore (RDS) is replaced by a new instance restored from snapshot \`${SNAPSHOT}\``,
    );
  }, 300_000);

  it("removing the field afterwards does not replace the restored instance", () => {
    requireTerraform();
    const planned = plan(DEV, { ...instanceOf(DEV), snapshot_identifier: SNAPSHOT });
    const [change] = planned.resource_changes;
    expect(change?.change.actions).not.toContain("delete");
    expect(change?.change.after.snapshot_identifier).toBe(SNAPSHOT);
  }, 300_000);
});
