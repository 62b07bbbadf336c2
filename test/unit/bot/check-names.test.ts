/**
 * The bot's check-run names are defined once (app/check-names.ts): the names it starts are the
 * ones it leaves out of mergeability, or its own pending plan would block its own apply.
 */
import { describe, expect, it } from "vitest";
import { isBotCheck } from "../../../app/bot/authorize";
import { applyCheckName, planCheckName } from "../../../app/bot/check-runs";

describe("check-run names", () => {
  it("names a cluster's plan and apply as users see them", () => {
    expect(planCheckName("dev")).toBe("k3s plan · dev");
    expect(applyCheckName("dev")).toBe("k3s apply · dev");
  });

  it("counts the checks the bot starts as its own, and no one else's", () => {
    expect(isBotCheck(planCheckName("web-prod"))).toBe(true);
    expect(isBotCheck(applyCheckName("web-prod"))).toBe(true);
    expect(isBotCheck("ci / build")).toBe(false);
    expect(isBotCheck("terraform plan")).toBe(false);
  });
});
