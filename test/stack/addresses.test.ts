/**
 * Readable resource addresses, and the `moved` blocks that carry clusters applied before the
 * rename over to them (infra/addresses.ts, infra/former-addresses.ts). The pre-rename side is
 * what that stack really synthesized (test/fixtures/pre-rename/), not a recomputation.
 */
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { describe, expect, it } from "vitest";
import { applyEmulatorWorkarounds } from "../../app/local/emulator-overrides";
import { synthesizeCluster } from "../../infra/synth";
import {
  addressesOf,
  type Move,
  PRE_RENAME_DEFINITIONS,
  type PreRenameDefinition,
  preRenameAddresses,
  preRenameConfig,
  preRenameSmallStack,
  renamedAsMoved,
} from "../support/pre-rename";
import { exampleConfig, synthesize, TEST_GITOPS } from "./helpers";

const definitions = Object.keys(PRE_RENAME_DEFINITIONS) as PreRenameDefinition[];

describe.each(definitions)("the %s definition", (name) => {
  const { json } = synthesize(preRenameConfig(name));
  const moves = json.moved ?? [];
  /** Resources the stack no longer manages, forgotten without a destroy (`removed` blocks). */
  const forgotten = new Set(
    ((json as unknown as { removed?: { from: string }[] }).removed ?? []).map((r) => r.from),
  );
  const addresses = addressesOf(json);

  it("names every resource readably: snake_case, no hash", () => {
    for (const address of addresses) {
      expect(address).toMatch(/^aws_[a-z0-9_]+\.[a-z][a-z0-9_]*$/);
      expect(address).not.toMatch(/_[0-9A-F]{8}$/);
    }
  });

  it("moves every address it had before the rename to a resource of the same type, or forgets it", () => {
    const from = new Map(moves.map((move) => [move.from, move.to]));
    const before = preRenameAddresses(name);
    expect(before.length).toBeGreaterThan(50);
    for (const old of before) {
      if (forgotten.has(old)) {
        expect(
          addresses.some((a) => a.startsWith(`${old.split(".")[0]}.`)),
          old,
        ).toBe(false);
        continue;
      }
      const to = from.get(old);
      expect(to, `no moved block from ${old}`).toBeDefined();
      expect(addresses).toContain(to);
      expect(to?.split(".")[0]).toBe(old.split(".")[0]);
    }
  });

  it("moves each resource at most once, from an address no resource has now", () => {
    const targets = moves.map((move) => move.to);
    expect(new Set(targets).size).toBe(targets.length);
    expect(new Set(moves.map((move) => move.from)).size).toBe(moves.length);
    for (const move of moves) expect(addresses).not.toContain(move.from);
  });
});

describe("the rename", () => {
  // When the rename landed, this compared whole stacks: the renamed pre-rename stack equalled
  // today's attribute for attribute. Every later feature changes the stack on purpose, so the
  // lasting check is that no pre-rename resource is lost or left at its old address; the
  // emulator test (test/emulator/moved-addresses.test.ts) proves an applied cluster is moved.
  it("keeps every resource of the small definition: each is moved to one of today's", () => {
    const now = synthesizeCluster(
      preRenameConfig("small"),
      { backend: { kind: "local", path: "terraform.tfstate" } },
      (stack) => {
        applyEmulatorWorkarounds(stack);
      },
    ) as { resource: Record<string, Record<string, unknown>>; moved: Move[] } & Record<
      string,
      unknown
    >;
    const before = preRenameSmallStack() as Parameters<typeof renamedAsMoved>[0];
    const { json: renamed, unmoved } = renamedAsMoved(before, now.moved);
    // The VPC's default security group is no longer managed: forgotten, not lost (vpc-audit).
    const forgotten = ((now.removed ?? []) as { from: string }[]).map((r) => r.from);
    expect(unmoved.filter((address) => !forgotten.includes(address))).toEqual([]);
    const renamedResources = (renamed as { resource: Record<string, Record<string, unknown>> })
      .resource;
    const lost = Object.entries(renamedResources).flatMap(([type, byName]) =>
      Object.keys(byName)
        .filter((name) => !(name in (now.resource[type] ?? {})))
        .map((name) => `${type}.${name}`),
    );
    expect(lost).toEqual([]);
    expect(Object.keys(renamedResources).length).toBeGreaterThan(10);
  });

  it("stops a resource without a readable address at synth, naming it", () => {
    const config = exampleConfig("dev");
    expect(() =>
      synthesizeCluster(config, { bootstrap: { gitops: TEST_GITOPS } }, (stack) => {
        new Vpc(stack, "forgotten", { cidrBlock: "10.9.0.0/16" });
      }),
    ).toThrow(/dev\/forgotten \(aws_vpc\) has no readable address: name it with named\(\)/);
  });
});
