import { describe, expect, it } from "vitest";
import { DRIFT_INTERVAL_SETTING, driftIntervalMs } from "../../../app/bot/drift-schedule";

describe("drift scan interval", () => {
  it("is a day by default, off at 0, and refuses what is not a number of hours", () => {
    expect(driftIntervalMs({})).toBe(24 * 3_600_000);
    expect(driftIntervalMs({ [DRIFT_INTERVAL_SETTING]: "6" })).toBe(6 * 3_600_000);
    expect(driftIntervalMs({ [DRIFT_INTERVAL_SETTING]: "0" })).toBeNull();
    expect(() => driftIntervalMs({ [DRIFT_INTERVAL_SETTING]: "daily" })).toThrow(
      "K3S_BOT_DRIFT_INTERVAL_HOURS=daily: expected a number of hours (0: off)",
    );
  });
});
