/**
 * The workflows users copy (workflows/*.yml): valid YAML with the keys GitHub requires, every
 * action pinned to an exact release or commit, least-privilege permissions, and the bot job
 * wired to the Action front door and the events the app handles.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { HANDLED_EVENT_NAMES } from "../../app/action/main";
import { SCHEDULED_JOBS, scheduledJobs } from "../../app/action/scheduled";

const dir = new URL("../../workflows/", import.meta.url);
const root = new URL("../../", import.meta.url);
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  "working-directory"?: string;
}
interface Concurrency {
  group: string;
  "cancel-in-progress": boolean;
  queue?: "single" | "max";
}
interface DispatchInput {
  type: string;
  options?: string[];
  default?: string;
}
interface Workflow {
  name?: string;
  on: Record<
    string,
    { types?: string[]; paths?: string[]; inputs?: Record<string, DispatchInput> } | null
  >;
  permissions?: Record<string, string>;
  concurrency?: Concurrency;
  jobs: Record<
    string,
    { "runs-on": string; steps: Step[]; if?: string; concurrency?: Concurrency }
  >;
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
    const events = Object.keys(workflow.on)
      .filter((e) => e !== "schedule" && e !== "workflow_dispatch")
      .map((e) => (e === "pull_request_target" ? "pull_request" : e));
    expect(events.sort()).toEqual([...HANDLED_EVENT_NAMES].sort());
    // The drift scan: on a schedule (the default branch's copy of this file), or by hand.
    expect((workflow.on as Record<string, unknown>).schedule).toEqual([{ cron: "17 5 * * *" }]);
    expect(workflow.jobs["k3s-bot"]?.if).toMatch(/github.event_name == 'schedule'/);
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
    const job = workflow.jobs["k3s-bot"];
    expect(workflow.concurrency).toBeUndefined();
    expect(job?.concurrency?.group).toMatch(/pull_request\.number/);
    expect(job?.concurrency?.["cancel-in-progress"]).toBe(false);
    expect(job?.concurrency?.queue).toBe("max");

    const all = steps(workflow);
    // The PR's code is never checked out under pull_request_target: only k3s-bot's own repo.
    for (const checkout of all.filter((s) => s.uses?.startsWith("actions/checkout@")))
      expect(checkout.with?.repository).toBe(`\${{ vars.K3S_BOT_SOURCE }}`);
    const terraform = all.find((s) => s.uses?.startsWith("hashicorp/setup-terraform@"));
    expect(terraform?.with).toMatchObject({
      terraform_version: "1.11.4",
      terraform_wrapper: false,
    });
    const aws = all.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    expect(aws?.with?.["role-to-assume"]).toMatch(/vars\./);
    expect(JSON.stringify(aws?.with)).not.toMatch(/secret-access-key|access-key-id/);
    expect(all.some((s) => s.run?.includes("app/action/main.ts"))).toBe(true);
    // A new IAM role allows one-hour sessions; asking for more fails the job.
    expect(Number(aws?.with?.["role-duration-seconds"])).toBeLessThanOrEqual(3600);
  });

  it("k3s-bot.yml: the schedule runs both scheduled jobs, workflow_dispatch one or both", () => {
    const workflow = load("k3s-bot.yml");
    const job = workflow.jobs["k3s-bot"];
    const schedule = (workflow.on as Record<string, unknown>).schedule as Array<{ cron: string }>;
    // GitHub delays schedules at the start of every hour: not minute 0.
    expect(schedule.map((s) => s.cron.split(" ")[0])).not.toContain("0");
    const input = workflow.on.workflow_dispatch?.inputs?.job;
    expect(input).toMatchObject({ type: "choice", default: "all" });
    expect(input?.options).toEqual(["all", ...SCHEDULED_JOBS]);
    const run = steps(workflow).find((s) => s.run?.includes("app/action/main.ts")) as
      | (Step & { env?: Record<string, string> })
      | undefined;
    const passed = run?.env?.K3S_BOT_SCHEDULED_JOB;
    expect(passed).toBe(`\${{ inputs.job }}`);
    // What the job runs for each choice, and for a schedule (no inputs: empty).
    expect(scheduledJobs({ K3S_BOT_SCHEDULED_JOB: "" })).toEqual(["drift", "updates"]);
    for (const option of input?.options ?? [])
      expect(scheduledJobs({ K3S_BOT_SCHEDULED_JOB: option }).length).toBeGreaterThan(0);
    // Both events pass the job's if:, and queue in a group of their own, never a PR's.
    const group = job?.concurrency?.group ?? "";
    const at = (e: Record<string, unknown>) =>
      group.replace(/\$\{\{(.*?)\}\}/g, (_m, expr: string) => String(value(expr, e)));
    for (const name of ["schedule", "workflow_dispatch"]) {
      const e = { event_name: name, event: { repository: { default_branch: "main" } } };
      expect(evaluate(job?.if ?? "true", e), name).toBe(true);
      expect(at(e)).toBe("k3s-bot-scheduled");
    }
    expect(at({ event_name: "issue_comment", event: { issue: { number: 7 } } })).toBe("k3s-bot-7");
  });

  it("k3s-bot.yml: every action at a full commit SHA (the job holds an AWS role)", () => {
    for (const step of steps(load("k3s-bot.yml")).filter((s) => s.uses))
      expect(step.uses).toMatch(/@[0-9a-f]{40}$/);
  });

  it("k3s-bot.yml: the provider cache is the bot's own plugin cache", () => {
    const all = steps(load("k3s-bot.yml"));
    const cache = all.find((s) => s.uses?.startsWith("actions/cache@"));
    const run = all.find((s) => s.run?.includes("app/action/main.ts")) as
      | (Step & { env?: Record<string, string> })
      | undefined;
    expect(cache?.with?.path).toBe(`${run?.env?.K3S_BOT_CACHE_DIR}/terraform-plugins`);
    expect(String(cache?.with?.key)).toContain("5.100.0");
  });

  describe("k3s-bot.yml under GitHub's concurrency rules: no command is dropped", () => {
    const workflow = load("k3s-bot.yml");
    const job = workflow.jobs["k3s-bot"];
    const event = (name: string, more: Record<string, unknown>) => ({
      event_name: name,
      event: { repository: { default_branch: "main" }, ...more },
    });
    const command = (body: string) =>
      event("issue_comment", { issue: { number: 7, pull_request: {} }, comment: { body } });
    const pullRequest = (base: string) =>
      event("pull_request_target", { pull_request: { number: 7, base: { ref: base } } });

    it("the job's if: lets commands and default-branch PR events in, nothing else", () => {
      const runs = (e: ReturnType<typeof event>) => evaluate(job?.if ?? "true", e);
      expect(runs(command("/k3s apply"))).toBe(true);
      // The bot's parser trims leading blank lines and spaces; the filter must let them through.
      expect(runs(command("\n  /k3s apply"))).toBe(true);
      expect(runs(command("LGTM, thanks"))).toBe(false);
      expect(runs(pullRequest("main"))).toBe(true);
      expect(runs(pullRequest("mallory-staging"))).toBe(false);
      expect(
        runs(event("issue_comment", { issue: { number: 7 }, comment: { body: "/k3s plan" } })),
      ).toBe(false);
    });

    it("a queued /k3s apply survives a later comment and a push (it was cancelled before)", () => {
      const sequence = [
        command("/k3s plan"),
        command("/k3s apply"),
        command("LGTM"),
        pullRequest("main"),
      ];
      const ran = simulate(workflow, sequence);
      expect(ran).toContain(1);
      expect(ran).toEqual([0, 1, 3]);
    });
  });
});

/**
 * GitHub's concurrency rules as documented (docs.github.com/en/actions/how-tos/write-workflows/
 * choose-when-workflows-run/control-workflow-concurrency, read 2026-11-29): one running per
 * group; `queue: single` (default) keeps one pending and a newer arrival cancels it; `max` keeps
 * up to 100 in order. A workflow-level group takes every run of the workflow, whatever its jobs'
 * `if:`; a job-level group only jobs whose `if:` passed. Returns the indexes of runs that ran,
 * with every run arriving while the first is still running.
 */
function simulate(workflow: Workflow, events: Array<Record<string, unknown>>): number[] {
  const job = Object.values(workflow.jobs)[0];
  const atJob = job?.concurrency !== undefined;
  const concurrency = job?.concurrency ?? workflow.concurrency;
  const depth = concurrency?.queue === "max" ? 100 : 1;
  let running: number | undefined;
  const pending: number[] = [];
  const finished: number[] = [];
  events.forEach((e, index) => {
    const passes = evaluate(job?.if ?? "true", e);
    const enters = atJob ? passes : true;
    if (!enters) return;
    if (running === undefined) running = index;
    else {
      pending.push(index);
      if (pending.length > depth) pending.shift();
    }
  });
  for (const index of [running, ...pending]) {
    if (index === undefined) continue;
    if (evaluate(job?.if ?? "true", events[index] ?? {})) finished.push(index);
  }
  return finished;
}

/**
 * A small evaluator for the expressions this workflow's `if:` uses: `github.*` paths, string
 * literals, ==, !=, &&, ||, parentheses, contains and startsWith (GitHub's own semantics: a missing
 * property is null, && and || return an operand, a non-empty object is truthy).
 */
function evaluate(expression: string, github: Record<string, unknown>): boolean {
  const v = value(expression, github);
  return v !== null && v !== undefined && v !== false && v !== "" && v !== 0;
}

/** The value of such an expression (an operand of && and ||, not only a boolean). */
function value(expression: string, github: Record<string, unknown>): unknown {
  const tokens = expression.match(/'[^']*'|&&|\|\||==|!=|[(),!]|[\w.-]+/g) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const next = () => tokens[at++];
  const truthy = (v: unknown) =>
    v !== null && v !== undefined && v !== false && v !== "" && v !== 0;
  const primary = (): unknown => {
    const token = next() ?? "";
    if (token === "(") {
      const value = or();
      next();
      return value;
    }
    if (token === "!") return !truthy(primary());
    if (token.startsWith("'")) return token.slice(1, -1);
    if (token === "true" || token === "false") return token === "true";
    if (token === "contains") {
      next();
      const text = or();
      next();
      const part = or();
      next();
      return String(text ?? "")
        .toLowerCase()
        .includes(String(part ?? "").toLowerCase());
    }
    if (token === "startsWith") {
      next();
      const text = or();
      next();
      const prefix = or();
      next();
      return String(text ?? "")
        .toLowerCase()
        .startsWith(String(prefix ?? "").toLowerCase());
    }
    const [root, ...path] = token.split(".");
    if (root !== "github") throw new Error(`unsupported context ${token}`);
    return path.reduce<unknown>(
      (value, key) =>
        (value && typeof value === "object" ? (value as Record<string, unknown>)[key] : null) ??
        null,
      github,
    );
  };
  const comparison = (): unknown => {
    const left = primary();
    if (peek() === "==" || peek() === "!=") {
      const op = next();
      const right = primary();
      return op === "==" ? left === right : left !== right;
    }
    return left;
  };
  const and = (): unknown => {
    let value = comparison();
    while (peek() === "&&") {
      next();
      const right = comparison();
      value = truthy(value) ? right : value;
    }
    return value;
  };
  const or = (): unknown => {
    let value = and();
    while (peek() === "||") {
      next();
      const right = and();
      value = truthy(value) ? value : right;
    }
    return value;
  };
  return or();
}
