/**
 * One repository on FakeGitHub for tests of the bot's GitHub code without the app (the update
 * pull requests, the GitOps hand-off): a fresh fake and a RepoGitHub on it before each test, and
 * after each test the check that every call reached the fake's model. A call it does not know
 * fails the test even when the code under test swallowed the error. Call it at the top level of
 * the file, before the file's own hooks, which then run after these.
 */
import nock from "nock";
import { afterEach, beforeEach, expect } from "vitest";
import { RepoGitHub } from "../../app/bot/github";
import { FakeGitHub } from "./fake-github";
import { TestOctokit } from "./octokit";
import { forwarding } from "./proxies";

export function useFakeRepository(fullName: string): { gh: FakeGitHub; github: RepoGitHub } {
  let gh: FakeGitHub | undefined;
  let github: RepoGitHub | undefined;
  let unmatched: string[] = [];
  const onNoMatch = (req: { method?: string; path?: string }) =>
    unmatched.push(`${req.method} ${req.path}`);
  beforeEach(() => {
    nock.disableNetConnect();
    unmatched = [];
    nock.emitter.on("no match", onNoMatch);
    gh = new FakeGitHub(fullName);
    gh.install();
    github = new RepoGitHub(new TestOctokit({ auth: { token: "test-token" } }), gh.owner, gh.repo);
  });
  afterEach(() => {
    nock.emitter.removeListener("no match", onNoMatch);
    nock.cleanAll();
    nock.enableNetConnect();
    expect(unmatched).toEqual([]);
  });
  return {
    gh: forwarding("the fake GitHub", () => gh),
    github: forwarding("the repository's RepoGitHub", () => github),
  };
}
