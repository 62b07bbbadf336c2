/**
 * The update job against FakeGitHub and faked sources (the k3s channels collection and
 * Canonical's AMI parameter, answered in memory): a newer version gives one PR per cluster and
 * kind with the change and its source; none gives nothing; a PR already open is updated, not
 * duplicated; a closed PR skips its version.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { proposeRepositoryUpdates, proposeUpdates } from "../../app/bot/update-pulls";
import type { K3sChannel, UpdateSources } from "../../app/engine/updates/sources";
import { useFakeRepository } from "../support/fake-repository";

const REPO = "acme/platform";
const DEFAULT_K3S = "v1.33.5+k3s1";
/** As k3s' channel server lists them (rancher/channelserver: id = name, latest resolved). */
let channels: K3sChannel[];
let amis: Record<string, string>;
const sources: UpdateSources = {
  k3sChannels: async () => channels,
  ubuntuAmi: async (region, arch) => {
    const ami = amis[`${region}/${arch}`];
    if (!ami) throw new Error(`no AMI for ${region}/${arch}`);
    return ami;
  },
};

const DEV = `# the dev cluster
name: dev
region: eu-central-1
network: { vpcCidr: 10.40.0.0/16, azCount: 2, adminCidrs: [203.0.113.7/32] }
controlPlane:
  count: 1
  instanceType: t4g.medium # arm
  ami: ami-0aaaaaaaaaaaaaaa1
workers: { min: 1, max: 3, instanceType: t3.large, ami: ami-0bbbbbbbbbbbbbbb1 }
k3s:
  version: v1.33.5+k3s1 # pinned
state: { bucket: acme-tfstate, lockTable: acme-k3s-bot }
`;
const PROD = `name: prod
region: eu-west-1
network: { vpcCidr: 10.50.0.0/16, azCount: 3, adminCidrs: [203.0.113.7/32] }
state: { bucket: acme-tfstate, lockTable: acme-k3s-bot }
`;

const { gh, github } = useFakeRepository(REPO);

beforeEach(() => {
  gh.pushCommit("main", { "clusters/dev.yaml": DEV, "clusters/prod.yaml": PROD }, "init");
  channels = [
    { id: "stable", name: "stable", latest: "v1.33.6+k3s1" },
    { id: "latest", name: "latest", latest: "v1.34.2+k3s1" },
    { id: "v1.33", name: "v1.33", latest: "v1.33.5+k3s1" },
    { id: "v1.34", name: "v1.34", latest: "v1.34.2+k3s1" },
  ];
  amis = {
    "eu-central-1/arm64": "ami-0aaaaaaaaaaaaaaa1",
    "eu-central-1/amd64": "ami-0bbbbbbbbbbbbbbb1",
    "eu-west-1/amd64": "ami-0ccccccccccccccc1",
  };
});

const run = () =>
  proposeUpdates(github, { definitionsPath: "clusters", sources, defaultK3s: DEFAULT_K3S });

describe("k3s-bot updates", () => {
  it("does nothing when every definition is current, and never proposes a new minor", async () => {
    expect(await run()).toEqual([]);
    expect(gh.createdPulls).toEqual([]);
    expect([...gh.filesOf("main").keys()].sort()).toEqual([
      "clusters/dev.yaml",
      "clusters/prod.yaml",
    ]);
    expect(gh.calls.filter((c) => !c.startsWith("GET"))).toEqual([]);
  });

  it("opens one PR per cluster and kind, with only the changed fields, comments kept", async () => {
    channels = channels.map((c) => (c.id === "v1.33" ? { ...c, latest: "v1.33.7+k3s1" } : c));
    amis["eu-central-1/arm64"] = "ami-0aaaaaaaaaaaaaaa2";
    const results = await run();
    expect(results).toEqual([
      { cluster: "dev", kind: "k3s", action: "opened", pullRequest: expect.any(Number) },
      { cluster: "dev", kind: "ami", action: "opened", pullRequest: expect.any(Number) },
      // prod does not set k3s.version: it runs the default, which is pinned now.
      { cluster: "prod", kind: "k3s", action: "opened", pullRequest: expect.any(Number) },
    ]);
    const byHead = Object.fromEntries(gh.createdPulls.map((p) => [p.head, p]));
    expect(Object.keys(byHead).sort()).toEqual([
      "k3s-bot/update/dev/ami",
      "k3s-bot/update/dev/k3s",
      "k3s-bot/update/prod/k3s",
    ]);
    const k3s = byHead["k3s-bot/update/dev/k3s"];
    expect(k3s).toMatchObject({ base: "main", title: "dev: update k3s to v1.33.7+k3s1" });
    expect(k3s?.body).toContain("| `k3s.version` | `v1.33.5+k3s1` | `v1.33.7+k3s1` |");
    expect(k3s?.body).toContain("https://update.k3s.io/v1-release/channels");
    const k3sText = gh.filesOf("k3s-bot/update/dev/k3s").get("clusters/dev.yaml") ?? "";
    expect(k3sText).toBe(DEV.replace("version: v1.33.5+k3s1", "version: v1.33.7+k3s1"));
    // The AMI PR moves only the server's pinned image (arm64); the workers' is current.
    const amiText = gh.filesOf("k3s-bot/update/dev/ami").get("clusters/dev.yaml") ?? "";
    expect(parse(amiText)).toEqual({
      ...parse(DEV),
      controlPlane: { ...parse(DEV).controlPlane, ami: "ami-0aaaaaaaaaaaaaaa2" },
    });
    expect(amiText).toBe(DEV.replace("ami: ami-0aaaaaaaaaaaaaaa1", "ami: ami-0aaaaaaaaaaaaaaa2"));
    expect(byHead["k3s-bot/update/dev/ami"]?.body).toContain(
      "| `controlPlane.ami` | `ami-0aaaaaaaaaaaaaaa1` | `ami-0aaaaaaaaaaaaaaa2` |",
    );
    const prodText = gh.filesOf("k3s-bot/update/prod/k3s").get("clusters/prod.yaml") ?? "";
    expect(parse(prodText).k3s).toEqual({ version: "v1.33.7+k3s1" });
    // Each branch is one commit on main; main itself is untouched.
    expect(gh.headCommit("k3s-bot/update/dev/k3s")?.parents).toEqual([gh.headCommit("main")?.sha]);
    expect(gh.filesOf("main").get("clusters/dev.yaml")).toBe(DEV);
  });

  it("updates the open PR when a newer patch appears, and leaves a current one alone", async () => {
    channels = channels.map((c) => (c.id === "v1.33" ? { ...c, latest: "v1.33.6+k3s1" } : c));
    await run();
    const [pull] = gh.createdPulls.filter((p) => p.head === "k3s-bot/update/dev/k3s");
    const firstHead = gh.headCommit("k3s-bot/update/dev/k3s")?.sha;

    // Run again with nothing new: no push, no edit, no second PR.
    const calls = gh.calls.length;
    const again = await run();
    expect(again.map((r) => r.action)).toEqual(["unchanged", "unchanged"]);
    expect(gh.calls.slice(calls).filter((c) => !c.startsWith("GET"))).toEqual([]);
    expect(gh.headCommit("k3s-bot/update/dev/k3s")?.sha).toBe(firstHead);

    channels = channels.map((c) => (c.id === "v1.33" ? { ...c, latest: "v1.33.7+k3s1" } : c));
    const newer = await run();
    expect(newer[0]).toEqual({
      cluster: "dev",
      kind: "k3s",
      action: "updated",
      pullRequest: pull?.number,
    });
    expect(gh.createdPulls.filter((p) => p.head === "k3s-bot/update/dev/k3s")).toHaveLength(1);
    expect(pull?.title).toBe("dev: update k3s to v1.33.7+k3s1");
    expect(gh.filesOf("k3s-bot/update/dev/k3s").get("clusters/dev.yaml")).toContain(
      "version: v1.33.7+k3s1",
    );
  });

  it("a closed PR skips its version until a newer one appears", async () => {
    channels = channels.map((c) => (c.id === "v1.33" ? { ...c, latest: "v1.33.6+k3s1" } : c));
    await run();
    for (const pull of gh.createdPulls) pull.state = "closed";
    const before = gh.createdPulls.length;
    expect((await run()).map((r) => r.action)).toEqual(["unchanged", "unchanged"]);
    expect(gh.createdPulls).toHaveLength(before);
    channels = channels.map((c) => (c.id === "v1.33" ? { ...c, latest: "v1.33.7+k3s1" } : c));
    expect((await run()).map((r) => r.action)).toEqual(["opened", "opened"]);
  });

  it("reads the folder from the repository's config, and opens nothing where it is switched off", async () => {
    const scheduled = () => proposeRepositoryUpdates(github, { sources, defaultK3s: DEFAULT_K3S });
    channels = channels.map((c) => (c.id === "v1.33" ? { ...c, latest: "v1.33.6+k3s1" } : c));
    gh.pushCommit("main", { ".github/k3s-bot.yml": "updates: { pullRequests: false }\n" }, "off");
    expect(await scheduled()).toEqual([]);
    expect(gh.createdPulls).toEqual([]);
    expect(gh.calls.filter((c) => !c.startsWith("GET"))).toEqual([]);

    gh.pushCommit("main", { ".github/k3s-bot.yml": "updates: { pullRequests: true }\n" }, "on");
    const opened = (await scheduled()).map((r) => r.action);
    expect(opened.length).toBeGreaterThan(0);
    expect(new Set(opened)).toEqual(new Set(["opened"]));
  });

  it("fails when a source fails, opening nothing", async () => {
    amis = {};
    await expect(run()).rejects.toThrow("no AMI for eu-central-1/arm64");
    expect(gh.createdPulls).toEqual([]);
  });
});
