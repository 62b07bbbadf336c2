import { describe, expect, it } from "vitest";
import type { EventContext } from "../../../app/bot/context";
import { outcomeMarkdown, reportRollout } from "../../../app/bot/rollout-report";
import type { GroupProgress, RolloutOutcome } from "../../../app/engine/rollout/instance-refresh";
import { exampleConfig } from "../../stack/helpers";

/** An event context whose engine replays progress and an outcome; records check-run updates. */
function context(steps: GroupProgress[], outcome: RolloutOutcome | null | Error) {
  const updates: { id: number; title: string; summary: string }[] = [];
  const errors: string[] = [];
  const ctx = {
    runs: {
      async rollOut(_config: unknown, report: (p: GroupProgress) => Promise<void>) {
        for (const step of steps) await report(step);
        if (outcome instanceof Error) throw outcome;
        return outcome;
      },
    },
    checks: {
      async progress(id: number, output: { title: string; summary: string }) {
        updates.push({ id, ...output });
      },
    },
    log: { info() {}, error: (message: string) => errors.push(message) },
  } as unknown as EventContext;
  return { ctx, updates, errors };
}

const config = exampleConfig("ha");

describe("the rollout on the PR", () => {
  it("shows each status in the apply check run while it runs", async () => {
    const { ctx, updates } = context(
      [
        { group: "controlPlane", autoScalingGroup: "ha-control-plane", status: "Pending" },
        {
          group: "controlPlane",
          autoScalingGroup: "ha-control-plane",
          status: "InProgress",
          percentage: 33,
          instancesToUpdate: 2,
        },
      ],
      { kind: "rolled", groups: ["controlPlane"] },
    );
    const result = await reportRollout(ctx, 42, config);
    expect(updates.map((u) => [u.id, u.title])).toEqual([
      [42, "Rolling servers: Pending"],
      [42, "Rolling servers: InProgress"],
    ]);
    expect(updates[1]?.summary).toMatch(
      /servers \(`ha-control-plane`\): Pending\n.*servers \(`ha-control-plane`\): InProgress, 33 %, 2 to update/,
    );
    expect(result).toEqual({
      ok: true,
      markdown: "#### Rollout\n\nReplaced the servers: every node runs the new launch template.",
    });
  });

  it("tells the PR that a group failed and was rolled back", async () => {
    const { ctx } = context([], {
      kind: "failed",
      group: "controlPlane",
      status: "RollbackSuccessful",
      reason: "health check failed",
      rolled: [],
    });
    const result = await reportRollout(ctx, 1, config);
    expect(result.ok).toBe(false);
    expect(result.markdown).toContain(
      "Replacing the servers ended RollbackSuccessful: health check failed.",
    );
    expect(result.markdown).toContain("rolled back to the previous launch template version");
    expect(result.markdown).toContain("Later groups were not started");
  });

  it("reports an error as a failed rollout, not a crash", async () => {
    const { ctx, errors } = context(
      [],
      new Error("AccessDenied: autoscaling:StartInstanceRefresh"),
    );
    const result = await reportRollout(ctx, 1, config);
    expect(result.ok).toBe(false);
    expect(result.markdown).toContain("AccessDenied: autoscaling:StartInstanceRefresh");
    expect(errors).toHaveLength(1);
  });

  it("says so where the environment cannot refresh instances", () => {
    expect(outcomeMarkdown(null)).toMatchObject({ ok: true });
    expect(outcomeMarkdown(null).markdown).toContain("cannot refresh instances");
    expect(outcomeMarkdown({ kind: "refused", reason: "why" })).toEqual({
      ok: false,
      markdown: "#### Rollout\n\n> [!CAUTION]\n> why",
    });
  });
});
