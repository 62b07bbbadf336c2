/**
 * synthesizeCluster runs the validations the stack's constructs add, and no process: cdktf 0.21.0
 * would run `terraform version` on every synthesis of a stack with `moved` blocks (infra/synth.ts
 * says why it does not), so synthesizing failed wherever Terraform is missing, as in
 * `npm run test:fast` and `k3s-bot synth` on a machine without it.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { synthesizeCluster } from "../../infra/synth";
import { MINIMUM_TERRAFORM } from "../../infra/terraform-version";
import { exampleConfig } from "./helpers";

describe("synthesizeCluster", () => {
  let bin: string;
  let path: string | undefined;
  beforeEach(() => {
    // A PATH whose only `terraform` fails, and says so where it was started.
    bin = mkdtempSync(join(tmpdir(), "k3s-bot-no-terraform-"));
    writeFileSync(join(bin, "terraform"), `#!/bin/sh\ntouch "${bin}/started"\nexit 97\n`);
    chmodSync(join(bin, "terraform"), 0o755);
    path = process.env.PATH;
    process.env.PATH = `${bin}:/usr/bin:/bin`;
  });
  afterEach(() => {
    process.env.PATH = path;
    rmSync(bin, { recursive: true, force: true });
  });

  it("synthesizes a stack with moved blocks and starts no terraform", () => {
    const json = synthesizeCluster(exampleConfig("dev")) as { moved?: unknown[] };
    expect(json.moved?.length).toBeGreaterThan(50);
    expect(existsSync(join(bin, "started"))).toBe(false);
  });

  it("has Terraform refuse a version older than the engine's minimum itself", () => {
    const json = synthesizeCluster(exampleConfig("dev")) as {
      terraform: { required_version?: string };
    };
    expect(json.terraform.required_version).toBe(`>= ${MINIMUM_TERRAFORM}`);
  });

  it("still runs the validations the constructs add", () => {
    expect(() =>
      synthesizeCluster(exampleConfig("dev"), {}, (stack) => {
        stack.node.addValidation({ validate: () => ["the test's own validation failed"] });
      }),
    ).toThrow(/the test's own validation failed/);
  });
});
