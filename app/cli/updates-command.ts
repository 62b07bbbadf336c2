/**
 * `k3s-bot updates --repo owner/name`: the update job (app/bot/update-pulls.ts) from a terminal
 * or a scheduled workflow, with a token that may push branches and open pull requests
 * (GITHUB_TOKEN). docs/updates.md says how to schedule it and why a workflow's own
 * GITHUB_TOKEN opens PRs that do not start other workflows.
 */
import type { Command } from "commander";
import { ProbotOctokit } from "probot";
import { K3sSchema } from "../../infra/definition/schema";
import { RepoGitHub } from "../bot/github";
import { proposeUpdates } from "../bot/update-pulls";
import { defaultSources, type UpdateSources } from "../engine/updates/sources";

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export function addUpdatesCommand(
  program: Command,
  io: Io,
  env: NodeJS.ProcessEnv,
  fail: (message: string) => Error,
  deps: { sources?: UpdateSources; Octokit?: typeof ProbotOctokit } = {},
): void {
  program
    .command("updates")
    .description(
      "Open or update one pull request per cluster and kind (k3s patch, pinned Ubuntu AMI) when a newer version is available.",
    )
    .requiredOption("--repo <owner/name>", "the repository holding the cluster definitions")
    .option("--definitions <path>", "folder of the definitions", "clusters")
    .action(async (options: { repo: string; definitions: string }) => {
      const [owner, name, ...rest] = options.repo.split("/");
      if (!owner || !name || rest.length > 0)
        throw fail(`--repo: expected owner/name, got ${options.repo}`);
      const token = env.GITHUB_TOKEN;
      if (!token)
        throw fail(
          "GITHUB_TOKEN is not set: a token that may push branches and open pull requests",
        );
      const Octokit = deps.Octokit ?? ProbotOctokit;
      const gh = new RepoGitHub(new Octokit({ auth: { token } }) as never, owner, name);
      const results = await proposeUpdates(gh, {
        definitionsPath: options.definitions,
        sources: deps.sources ?? defaultSources(),
        defaultK3s: K3sSchema.parse({}).version,
      });
      if (results.length === 0) io.err("every definition is current; nothing to do\n");
      for (const r of results)
        io.out(
          `${r.cluster} ${r.kind}: ${r.action}${r.pullRequest ? ` (#${r.pullRequest})` : ""}\n`,
        );
    });
}
