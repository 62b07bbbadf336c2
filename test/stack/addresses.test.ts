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
  withoutMetadata,
} from "../support/pre-rename";
import { exampleConfig, synthesize, TEST_GITOPS } from "./helpers";

const definitions = Object.keys(PRE_RENAME_DEFINITIONS) as PreRenameDefinition[];

describe.each(definitions)("the %s definition", (name) => {
  const { json } = synthesize(preRenameConfig(name));
  const moves = json.moved ?? [];
  const addresses = addressesOf(json);

  it("names every resource readably: snake_case, no hash", () => {
    for (const address of addresses) {
      expect(address).toMatch(/^aws_[a-z0-9_]+\.[a-z][a-z0-9_]*$/);
      expect(address).not.toMatch(/_[0-9A-F]{8}$/);
    }
  });

  it("moves every address it had before the rename to a resource of the same type", () => {
    const from = new Map(moves.map((move) => [move.from, move.to]));
    const before = preRenameAddresses(name);
    expect(before.length).toBeGreaterThan(50);
    for (const old of before) {
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

/**
 * The bootstrap scripts shipped in user data change with the bootstrap, not with the rename:
 * their bodies are left out of the comparison (the parameters and references around them,
 * which carry the addresses, stay).
 */
function withoutScriptBodies(value: unknown): unknown {
  if (typeof value === "string")
    return value.replace(
      /(cat > "\$root\/opt\/k3s-bot\/[\w.-]+\.sh" <<'K3S_BOT_EOF'\n)[\s\S]*?\nK3S_BOT_EOF/g,
      "$1(script)\nK3S_BOT_EOF",
    );
  if (Array.isArray(value)) return value.map(withoutScriptBodies);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutScriptBodies(v)]));
}

describe("the rename", () => {
  it("changes nothing but addresses: the small definition's stack equals the pre-rename one", () => {
    // The rename predates the etcd snapshot bucket (docs/backups.md): compare without it.
    const small = preRenameConfig("small");
    small.datastore.snapshots.enabled = false;
    const now = synthesizeCluster(
      small,
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
    expect(unmoved).toEqual([]);
    expect(withoutScriptBodies(withoutMetadata(renamed))).toEqual(
      withoutScriptBodies(
        withoutMetadata({ resource: now.resource, locals: now.locals, output: now.output }),
      ),
    );
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
