/**
 * Probot's Octokit for tests and the benchmark: no retries and no throttling, so a fake GitHub's
 * answers arrive at once and a failure is seen on the first call. The function form runs after
 * Probot merges its own throttle options, which would otherwise turn write throttling (one POST
 * per second) back on.
 */
import { ProbotOctokit } from "probot";

export const TestOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  retry: { enabled: false },
  throttle: { enabled: false },
}));
