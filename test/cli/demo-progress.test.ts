/**
 * The demo's progress pieces on their own (the demo itself runs for minutes): a failed step
 * says so, the heartbeat counts Terraform's finished resources, and missing tools are named
 * with how to install them before anything starts.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ResourceCounter, startHeartbeat, startStep } from "../../app/cli/demo-progress";
import { describeMissing, missingPrerequisites } from "../../scripts/prerequisites.mjs";

afterEach(() => {
  vi.useRealTimers();
});

describe("demo steps", () => {
  it("ends a step that worked with done, and one that did not with failed", () => {
    let out = "";
    let clock = 0;
    const write = (text: string) => {
      out += text;
    };
    const ok = startStep(1, 4, "planning", write, () => clock);
    clock = 1500;
    ok.done();
    const bad = startStep(2, 4, "applying", write, () => clock);
    clock = 4000;
    bad.failed("Error: creating EC2 Instance");
    bad.done();
    expect(out).toBe(
      "[1/4] planning … done (1.5 s)\n[2/4] applying … failed: Error: creating EC2 Instance (2.5 s)\n",
    );
  });
});

describe("the heartbeat", () => {
  it("counts Terraform's complete lines, also when a line arrives in pieces", () => {
    const counter = new ResourceCounter();
    counter.feed(
      "aws_vpc.main: Creating...\naws_vpc.main: Creation complete after 2s [id=vpc-1]\naws_s",
    );
    counter.feed(
      "ubnet.a: Creation complete after 1s\naws_eip.nat: Destruction complete after 0s\n",
    );
    counter.feed("Apply complete! Resources: 3 added, 0 changed, 0 destroyed.\n");
    expect(counter.count).toBe(3);
  });

  it("prints elapsed time and resources every interval until stopped", () => {
    vi.useFakeTimers();
    let out = "";
    const counter = new ResourceCounter();
    const stop = startHeartbeat({
      verb: "applying",
      total: 94,
      counter,
      write: (text) => {
        out += text;
      },
      now: () => Date.now(),
    });
    counter.count = 60;
    vi.advanceTimersByTime(45_000);
    stop();
    vi.advanceTimersByTime(60_000);
    expect(
      out
        .trim()
        .split("\n")
        .map((line) => line.trim()),
    ).toEqual([
      "still applying… 15 s, 60/94 resources",
      "still applying… 30 s, 60/94 resources",
      "still applying… 45 s, 60/94 resources",
    ]);
  });
});

describe("prerequisites", () => {
  it("names each missing tool with how to install it", () => {
    const missing = missingPrerequisites((command: string) => command === "git");
    expect(missing.map((p) => p.name)).toEqual(["Terraform ≥ 1.11", "Python 3 with venv"]);
    const text = describeMissing(missing);
    expect(text).toContain("developer.hashicorp.com/terraform/install");
    expect(text).toContain("python3-venv");
  });
});
