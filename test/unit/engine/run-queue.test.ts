import { describe, expect, it } from "vitest";
import { RunQueue } from "../../../app/engine/run-queue";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("RunQueue", () => {
  it("never runs two tasks of one cluster at once, and keeps their order", async () => {
    const queue = new RunQueue(4);
    const events: string[] = [];
    let active = 0;
    let overlap = false;
    const task = (name: string) => async () => {
      active += 1;
      if (active > 1) overlap = true;
      events.push(`start ${name}`);
      await sleep(10);
      events.push(`end ${name}`);
      active -= 1;
    };
    await Promise.all([
      queue.run("dev", task("a")),
      queue.run("dev", task("b")),
      queue.run("dev", task("c")),
    ]);
    expect(overlap).toBe(false);
    expect(events).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  it("bounds runs across clusters and still finishes all of them", async () => {
    const queue = new RunQueue(3);
    let active = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        queue.run(`cluster-${i}`, async () => {
          active += 1;
          peak = Math.max(peak, active);
          await sleep(5);
          active -= 1;
          return i;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(peak).toBe(3);
    expect(queue.peakConcurrent).toBe(3);
    expect(queue.pending).toBe(0);
  });

  it("goes on with the next run of a cluster after one fails", async () => {
    const queue = new RunQueue(1);
    const failed = queue.run("dev", async () => {
      throw new Error("terraform exploded");
    });
    const next = queue.run("dev", async () => "ok");
    await expect(failed).rejects.toThrow("terraform exploded");
    await expect(next).resolves.toBe("ok");
  });
});
