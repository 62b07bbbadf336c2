/** The Probot entry's own settings: the delivery log is on only when the environment names it. */
import { describe, expect, it } from "vitest";
import { DynamoDeliveryLog } from "../../../app/bot/deliveries";
import { deliveryLogFrom } from "../../../app/index";

function recorder() {
  const lines: string[] = [];
  return {
    lines,
    log: {
      warn: (m: string) => lines.push(`warn ${m}`),
      error: (m: string) => lines.push(`error ${m}`),
    },
  };
}

describe("deliveryLogFrom", () => {
  it("warns that duplicates may run twice when no table is set", () => {
    const { lines, log } = recorder();
    expect(deliveryLogFrom({}, log)).toBeUndefined();
    expect(lines).toEqual([
      expect.stringMatching(/^warn K3S_BOT_DELIVERY_TABLE is not set: .* may run twice$/),
    ]);
  });

  it("needs the table's region", () => {
    const { log } = recorder();
    expect(() => deliveryLogFrom({ K3S_BOT_DELIVERY_TABLE: "acme-k3s-bot" }, log)).toThrow(
      "K3S_BOT_DELIVERY_TABLE needs AWS_REGION",
    );
  });

  it("claims deliveries in the named table", () => {
    const { lines, log } = recorder();
    const deliveries = deliveryLogFrom(
      // ensureTable runs in the background; a failure there is logged, never thrown.
      { K3S_BOT_DELIVERY_TABLE: "acme-k3s-bot", AWS_REGION: "eu-central-1" },
      log,
    );
    expect(deliveries).toBeInstanceOf(DynamoDeliveryLog);
    expect(lines.filter((l) => l.startsWith("warn"))).toEqual([]);
  });
});
