/**
 * The first-feedback benchmark's arithmetic: when the fake GitHub got the bot's first
 * feedback on a `/k3s plan`, and percentiles (nearest rank).
 */
import type { FakeGitHub } from "../test/support/fake-github";

export interface FirstFeedback {
  eyesMs: number;
  checkRunMs: number;
  /** The first comment on the PR after the command: the change summary ("planning…"). */
  summaryMs: number;
}

/** Milliseconds from `started` to the first reaction, check run and comment after `from`. */
export function firstFeedback(
  github: Pick<FakeGitHub, "calls" | "callTimes">,
  from: number,
  started: number,
  pullRequest: number,
): FirstFeedback {
  const at = (pattern: RegExp) => {
    for (let i = from; i < github.calls.length; i++)
      if (pattern.test(github.calls[i] as string)) return (github.callTimes[i] as number) - started;
    return Number.NaN;
  };
  return {
    eyesMs: at(/^POST \S+\/issues\/comments\/\d+\/reactions/),
    checkRunMs: at(/^POST \S+\/check-runs$/),
    summaryMs: at(new RegExp(`^POST \\S+/issues/${pullRequest}/comments$`)),
  };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}
