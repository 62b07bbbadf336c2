import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  k3sVersionInUserData,
  type PlannedChange,
  predictRollout,
  rolloutMarkdown,
} from "../../../app/engine/plan/rollout";
import type { ClusterConfig } from "../../../infra/definition/config";
import { exampleConfig, synthesize } from "../../stack/helpers";

type Role = "server" | "agent";

/** User data as the stack renders it: gzip, base64, params.env with the k3s version. */
const userData = (version: string) =>
  gzipSync(
    `#cloud-config\nwrite_files:\n  - content: |\n      K3S_BOT_CLUSTER_NAME='ha'\nK3S_BOT_K3S_VERSION='${version}'\nK3S_BOT_REGION='eu-central-1'\n`,
  ).toString("base64");

/** A launch template as `terraform show -json` has it; addresses deliberately meaningless. */
function template(role: Role, values: Record<string, unknown> = {}) {
  return {
    name: `ha-${role === "server" ? "control-plane" : "worker"}`,
    image_id: "ami-0aaaaaaaaaaaaaaaa",
    instance_type: role === "server" ? "t3.medium" : "t3.large",
    user_data: userData("v1.33.5+k3s1"),
    latest_version: 4,
    tags: { Name: "ha-x" },
    tag_specifications: [{ resource_type: "instance", tags: { "k3s-bot/role": role } }],
    ...values,
  };
}

function group(role: Role, values: Record<string, unknown> = {}) {
  return {
    min_size: role === "server" ? 3 : 2,
    max_size: role === "server" ? 3 : 6,
    desired_capacity: role === "server" ? 3 : 4,
    health_check_grace_period: role === "server" ? 600 : 300,
    default_instance_warmup: 300,
    tag: [{ key: "k3s-bot/role", value: role, propagate_at_launch: true }],
    ...values,
  };
}

let serial = 0;
const change = (
  type: string,
  actions: string[],
  before: unknown,
  after: unknown,
  afterUnknown: Record<string, unknown> = {},
): PlannedChange => ({
  type,
  address: `${type}.resource_${++serial}`,
  change: { actions, before, after, after_unknown: afterUnknown },
});

/** The four node resources of an existing cluster, each changed by `edit` or left as no-op. */
function planOf(edit: {
  server?: Record<string, unknown>;
  agent?: Record<string, unknown>;
  serverGroup?: Record<string, unknown>;
  agentGroup?: Record<string, unknown>;
}): PlannedChange[] {
  const pair = (
    type: string,
    build: (role: Role, values?: Record<string, unknown>) => object,
    role: Role,
    values?: Record<string, unknown>,
  ) => change(type, values ? ["update"] : ["no-op"], build(role), build(role, values ?? {}));
  return [
    // Workers listed first: the order must come from the roles, not the plan.
    pair("aws_launch_template", template, "agent", edit.agent),
    pair("aws_autoscaling_group", group, "agent", edit.agentGroup),
    pair("aws_launch_template", template, "server", edit.server),
    pair("aws_autoscaling_group", group, "server", edit.serverGroup),
  ];
}

const ha: ClusterConfig = exampleConfig("ha");

describe("the rollout a plan predicts", () => {
  it("k3s version: servers, then workers, every node, with the versions in words", () => {
    const newer = { user_data: userData("v1.34.1+k3s1") };
    const prediction = predictRollout(ha, planOf({ server: newer, agent: newer }));
    expect(prediction.groups.map((g) => [g.group, g.reasons, g.nodes])).toEqual([
      ["controlPlane", ["k3s v1.33.5+k3s1 → v1.34.1+k3s1"], { low: 3, high: 3 }],
      ["workers", ["k3s v1.33.5+k3s1 → v1.34.1+k3s1"], { low: 4, high: 4 }],
    ]);
    // Per server 2 min boot + 5 min warmup .. 10 min grace + 5 min warmup; workers add the drain.
    expect(prediction.groups[0]?.minutes).toEqual({ low: 21, high: 45 });
    const drain = ha.workers.drainTimeoutSeconds;
    expect(prediction.groups[1]?.minutes).toEqual({
      low: 28,
      high: Math.ceil((4 * (300 + 300 + drain)) / 60),
    });
    expect(prediction.refusal).toBeUndefined();
    const markdown = rolloutMarkdown(prediction);
    expect(markdown).toContain("| 1 | servers | 3 | k3s v1.33.5+k3s1 → v1.34.1+k3s1 | 21–45 min |");
    expect(markdown).toMatch(
      /\| 2 \| workers \| 4 \| k3s v1\.33\.5\+k3s1 → v1\.34\.1\+k3s1 \| 28–\d+ min \|/,
    );
  });

  it("instance type: only the group whose type changed", () => {
    const prediction = predictRollout(ha, planOf({ agent: { instance_type: "m7i.large" } }));
    expect(prediction.groups.map((g) => [g.group, g.reasons])).toEqual([
      ["workers", ["instance type t3.large → m7i.large"]],
    ]);
  });

  it("AMI: the image ids, and the workers' count from the state", () => {
    const image = { image_id: "ami-0bbbbbbbbbbbbbbbb" };
    const prediction = predictRollout(ha, planOf({ server: image, agent: image }));
    expect(prediction.groups.map((g) => g.reasons)).toEqual([
      ["image ami-0aaaaaaaaaaaaaaaa → ami-0bbbbbbbbbbbbbbbb"],
      ["image ami-0aaaaaaaaaaaaaaaa → ami-0bbbbbbbbbbbbbbbb"],
    ]);
  });

  it("counts: nodes come and go, none is replaced", () => {
    const prediction = predictRollout(ha, planOf({ agentGroup: { min_size: 3, max_size: 9 } }));
    expect(prediction.groups).toEqual([]);
    expect(prediction.scaling).toEqual([
      "workers: min 2 → 3, max 6 → 9 (nodes are added or removed, none is replaced)",
    ]);
    expect(rolloutMarkdown(prediction)).toContain("No node is replaced.");
  });

  it("a bootstrap change known only after apply still rolls, and says so", () => {
    const changes = planOf({});
    const agent = changes[0] as PlannedChange;
    agent.change.actions = ["update"];
    agent.change.after = { ...(agent.change.after as object), user_data: undefined };
    agent.change.after_unknown = { user_data: true };
    expect(predictRollout(ha, changes).groups.map((g) => g.reasons)).toEqual([
      ["bootstrap script (known after apply)"],
    ]);
  });

  it("a new cluster launches its nodes: nothing rolls", () => {
    const created = [
      change("aws_launch_template", ["create"], null, template("server")),
      change("aws_autoscaling_group", ["create"], null, group("server")),
    ];
    const prediction = predictRollout(ha, created);
    expect(prediction.groups).toEqual([]);
    expect(rolloutMarkdown(prediction)).toBe("");
  });

  it("workers sized by their autoscaler: the range of the group when the state has no count", () => {
    const changes = planOf({ agent: { instance_type: "m7i.large" } });
    const agentGroup = changes[1] as PlannedChange;
    agentGroup.change.before = { ...(agentGroup.change.before as object), desired_capacity: null };
    expect(predictRollout(ha, changes).groups[0]?.nodes).toEqual({
      low: ha.workers.min,
      high: ha.workers.max,
    });
  });

  it("one embedded-etcd server: says the servers (and so the workers) will not roll, and why", () => {
    const single = exampleConfig("ha", (c) => {
      c.controlPlane.count = 1;
      c.datastore.engine = "etcd";
    });
    const newer = { user_data: userData("v1.34.1+k3s1") };
    const prediction = predictRollout(single, planOf({ server: newer, agent: newer }));
    expect(prediction.refusal).toMatch(/`datastore.engine: etcd` with `controlPlane.count: 1`/);
    expect(rolloutMarkdown(prediction)).toContain("> [!CAUTION]");
  });
});

describe("the k3s version in user data", () => {
  it("is read from params.env, and nothing else passes for one", () => {
    expect(k3sVersionInUserData(userData("v1.33.5+k3s1"))).toBe("v1.33.5+k3s1");
    expect(k3sVersionInUserData("not base64 gzip")).toBeUndefined();
    expect(k3sVersionInUserData(undefined)).toBeUndefined();
  });

  it("matches what the stack's bootstrap text holds", () => {
    const config = exampleConfig("dev", (c) => {
      c.k3s.version = "v1.34.1+k3s1";
    });
    const pieces = Object.values(synthesize(config).json.locals ?? {}).flat() as string[];
    const rendered = gzipSync(pieces.join("")).toString("base64");
    expect(k3sVersionInUserData(rendered)).toBe("v1.34.1+k3s1");
  });
});
