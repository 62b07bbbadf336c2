/**
 * The workflows users copy (workflows/*.yml): valid YAML with the keys GitHub requires, every
 * action pinned to an exact release or commit, least-privilege permissions, and the bot job
 * wired to the Action front door and the events the app handles.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { HANDLED_EVENT_NAMES } from "../../app/action/main";

const dir = new URL("../../workflows/", import.meta.url);
const root = new URL("../../", import.meta.url);
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  "working-directory"?: string;
}
interface Workflow {
  name?: string;
  on: Record<string, { types?: string[]; paths?: string[] } | null>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  jobs: Record<string, { "runs-on": string; steps: Step[]; if?: string }>;
}

function load(file: string): Workflow {
  const doc = parseDocument(readFileSync(new URL(file, dir), "utf8"), { version: "1.2" });
  expect(doc.errors, file).toEqual([]);
  return doc.toJS() as Workflow;
}

const steps = (w: Workflow) => Object.values(w.jobs).flatMap((job) => job.steps);

describe("workflows/", () => {
  it("holds the two workflows the README tells users to copy", () => {
    expect(files.sort()).toEqual(["k3s-bot.yml", "validate.yml"]);
  });

  for (const file of files) {
    describe(file, () => {
      const workflow = load(file);

      it("has on, jobs, and for each job runs-on and steps", () => {
        expect(workflow.name).toBeTruthy();
        expect(Object.keys(workflow.on).length).toBeGreaterThan(0);
        expect(Object.keys(workflow.jobs).length).toBeGreaterThan(0);
        for (const [name, job] of Object.entries(workflow.jobs)) {
          expect(job["runs-on"], name).toMatch(/^ubuntu-\d/);
          expect(job.steps.length, name).toBeGreaterThan(0);
          for (const step of job.steps) expect(Boolean(step.uses) !== Boolean(step.run)).toBe(true);
        }
      });

      it("pins every action to an exact release or a commit SHA", () => {
        for (const step of steps(workflow).filter((s) => s.uses)) {
          expect(step.uses).toMatch(/^[\w.-]+\/[\w.-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/);
        }
      });

      it("declares its token permissions (nothing implicit)", () => {
        expect(workflow.permissions).toBeDefined();
        expect(
          Object.values(workflow.permissions ?? {}).every((p) => ["read", "write"].includes(p)),
        ).toBe(true);
      });

      it("runs only k3s-bot entry points that exist in this repository", () => {
        for (const run of steps(workflow).flatMap((s) => (s.run ? [s.run] : []))) {
          for (const [, path] of run.matchAll(/\.k3s-bot\/((?:app|bin)\/[\w/.-]+\.(?:ts|mjs))/g))
            expect(existsSync(new URL(path ?? "", root)), path).toBe(true);
        }
      });
    });
  }

  it("validate.yml: pull requests touching clusters/, read-only, no AWS", () => {
    const workflow = load("validate.yml");
    expect(workflow.on.pull_request?.paths).toEqual(["clusters/**"]);
    expect(workflow.permissions).toEqual({ contents: "read" });
    const text = JSON.stringify(workflow);
    expect(text).not.toMatch(/aws-actions|id-token|terraform/);
    expect(text).toMatch(/k3s-bot\.mjs validate --format github/);
  });

  it("k3s-bot.yml: the app's events, the app's permissions, one run per PR, never cancelled", () => {
    const workflow = load("k3s-bot.yml");
    const events = Object.keys(workflow.on).map((e) =>
      e === "pull_request_target" ? "pull_request" : e,
    );
    expect(events.sort()).toEqual([...HANDLED_EVENT_NAMES].sort());
    expect(workflow.on.issue_comment?.types).toEqual(["created"]);
    expect(workflow.on.pull_request_target?.types?.sort()).toEqual([
      "closed",
      "opened",
      "reopened",
      "synchronize",
    ]);
    // The job token mirrors app.yml's permissions (GitHub spells pull_requests with a hyphen here).
    const manifest = parseDocument(readFileSync(new URL("app.yml", root), "utf8")).toJS() as {
      default_permissions: Record<string, string>;
    };
    const fromApp = Object.fromEntries(
      Object.entries(manifest.default_permissions)
        .filter(([name]) => name !== "metadata")
        .map(([name, level]) => [name.replace("_", "-"), level]),
    );
    expect(workflow.permissions).toEqual({ ...fromApp, "id-token": "write" });
    expect(workflow.concurrency?.group).toMatch(/pull_request\.number/);
    expect(workflow.concurrency?.["cancel-in-progress"]).toBe(false);

    const all = steps(workflow);
    // The PR's code is never checked out under pull_request_target: only k3s-bot's own repo.
    for (const checkout of all.filter((s) => s.uses?.startsWith("actions/checkout@")))
      expect(checkout.with?.repository).toBe("k3s-bot/k3s-bot");
    const terraform = all.find((s) => s.uses?.startsWith("hashicorp/setup-terraform@"));
    expect(terraform?.with).toMatchObject({
      terraform_version: "1.11.4",
      terraform_wrapper: false,
    });
    const aws = all.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    expect(aws?.with?.["role-to-assume"]).toMatch(/vars\./);
    expect(JSON.stringify(aws?.with)).not.toMatch(/secret-access-key|access-key-id/);
    expect(all.some((s) => s.run?.includes("app/action/main.ts"))).toBe(true);
  });
});
