import type { Probot } from "probot";
import { describe, expect, it } from "vitest";
import {
  DRIFT_INTERVAL_SETTING,
  intervalMs,
  startRepositoryJob,
  UPDATES_INTERVAL_SETTING,
  updatesJob,
} from "../../../app/bot/scheduled-jobs";

describe("scheduled job intervals", () => {
  const drift = { setting: DRIFT_INTERVAL_SETTING, defaultHours: 24 };
  const updates = updatesJob();

  it("are a day by default, off at 0, and refuse what is not a number of hours", () => {
    expect(intervalMs({}, drift)).toBe(24 * 3_600_000);
    expect(intervalMs({ [DRIFT_INTERVAL_SETTING]: "6" }, drift)).toBe(6 * 3_600_000);
    expect(intervalMs({ [DRIFT_INTERVAL_SETTING]: "0" }, drift)).toBeNull();
    expect(() => intervalMs({ [DRIFT_INTERVAL_SETTING]: "daily" }, drift)).toThrow(
      "K3S_BOT_DRIFT_INTERVAL_HOURS=daily: expected a number of hours (0: off)",
    );
  });

  it("the update job has its own setting, independent of the drift scan's", () => {
    expect(updates.setting).toBe("K3S_BOT_UPDATES_INTERVAL_HOURS");
    expect(intervalMs({}, updates)).toBe(24 * 3_600_000);
    expect(intervalMs({ [UPDATES_INTERVAL_SETTING]: "168" }, updates)).toBe(168 * 3_600_000);
    expect(
      intervalMs({ [UPDATES_INTERVAL_SETTING]: "0", [DRIFT_INTERVAL_SETTING]: "6" }, updates),
    ).toBeNull();
    expect(() => intervalMs({ [UPDATES_INTERVAL_SETTING]: "-1" }, updates)).toThrow(
      "K3S_BOT_UPDATES_INTERVAL_HOURS=-1: expected a number of hours (0: off)",
    );
  });

  it("does not start without a table to elect one replica in, and says how to silence it", () => {
    const warnings: string[] = [];
    const app = { log: { warn: (m: string) => warnings.push(m) } } as unknown as Probot;
    expect(startRepositoryJob(app, { AWS_REGION: "eu-central-1" }, updates)).toBeNull();
    expect(warnings).toEqual([
      "update-pulls is off: it needs K3S_BOT_DELIVERY_TABLE and AWS_REGION to elect one replica (K3S_BOT_UPDATES_INTERVAL_HOURS=0 silences this)",
    ]);
    // Turned off: silent.
    expect(startRepositoryJob(app, { [UPDATES_INTERVAL_SETTING]: "0" }, updates)).toBeNull();
    expect(warnings).toHaveLength(1);
  });
});
