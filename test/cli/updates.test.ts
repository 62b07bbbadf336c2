/**
 * `k3s-bot updates` end to end through the CLI: the real channels source (fetch) answered by
 * nock with the collection k3s' channel server serves, GitHub by FakeGitHub.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT_FAILED, EXIT_OK, runCli } from "../../app/cli/main";
import { FakeGitHub } from "../support/fake-github";

const DEV = "name: dev\nregion: eu-central-1\nk3s:\n  version: v1.33.5+k3s1\n";
let gh: FakeGitHub;

beforeEach(() => {
  nock.disableNetConnect();
  gh = new FakeGitHub("acme/platform");
  gh.install();
  gh.pushCommit("main", { "clusters/dev.yaml": DEV }, "init");
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

async function cli(env: Record<string, string | undefined>, ...argv: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) }, env);
  return { code, out, err };
}

/** rancher/channelserver's channels collection: data items with id = name and latest. */
function channels(latest: string) {
  nock("https://update.k3s.io")
    .get("/v1-release/channels")
    .reply(200, {
      type: "collection",
      resourceType: "channel",
      data: [
        { id: "stable", type: "channel", name: "stable", latest: "v1.34.2+k3s1" },
        { id: "v1.33", type: "channel", name: "v1.33", latest },
      ],
    });
}

describe("k3s-bot updates", () => {
  it("opens the PR for a newer patch, then reports it unchanged", async () => {
    channels("v1.33.6+k3s1");
    const env = { GITHUB_TOKEN: "test-token" };
    const first = await cli(env, "updates", "--repo", "acme/platform");
    expect(first.err).toBe("");
    expect(first.code).toBe(EXIT_OK);
    expect(first.out).toMatch(/^dev k3s: opened \(#\d+\)\n$/);
    expect(gh.filesOf("k3s-bot/update/dev/k3s").get("clusters/dev.yaml")).toBe(
      DEV.replace("v1.33.5", "v1.33.6"),
    );
    channels("v1.33.6+k3s1");
    const again = await cli(env, "updates", "--repo", "acme/platform");
    expect(again.out).toMatch(/^dev k3s: unchanged \(#\d+\)\n$/);
    expect(gh.createdPulls).toHaveLength(1);
  });

  it("says what is missing without a token or with a bad --repo", async () => {
    const noToken = await cli({}, "updates", "--repo", "acme/platform");
    expect(noToken.code).toBe(EXIT_FAILED);
    expect(noToken.err).toContain("GITHUB_TOKEN is not set");
    const badRepo = await cli({ GITHUB_TOKEN: "t" }, "updates", "--repo", "acme");
    expect(badRepo.code).toBe(EXIT_FAILED);
    expect(badRepo.err).toContain("--repo: expected owner/name, got acme");
  });

  it("fails when the channels cannot be read, opening nothing", async () => {
    nock("https://update.k3s.io").get("/v1-release/channels").reply(503, "unavailable");
    const result = await cli({ GITHUB_TOKEN: "t" }, "updates", "--repo", "acme/platform");
    expect(result.code).toBe(EXIT_FAILED);
    expect(result.err).toContain("https://update.k3s.io/v1-release/channels answered 503");
    expect(gh.createdPulls).toEqual([]);
  });
});
