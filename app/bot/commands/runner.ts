/**
 * One runner per comment command (plan.ts, apply.ts, …), picked from the registry
 * (registry.ts) by the command the parser returned. The dispatcher (workflow.ts) has already
 * reacted 👀, read the repository's config and the pull request; it reacts again with the
 * runner's result.
 */
import type { GuardrailId } from "../../engine/guardrails/rules";
import type { BotConfig } from "../config";
import type { EventContext } from "../context";
import type { PullRequestInfo, Reaction } from "../github";

export interface CommandInput {
  pr: PullRequestInfo;
  /** Clusters named in the comment; empty means "the clusters this PR changes". */
  clusters: readonly string[];
  /** Guardrails the commenter overrides for this apply (`--override-guardrail`). */
  overrides?: readonly GuardrailId[];
  /** Who commented the command. */
  user: string;
  /** The repository's config, from its default branch, read once for this event. */
  config: BotConfig;
}

export interface CommandRunner {
  /** The reaction on the comment when the command did everything it was asked. */
  readonly doneReaction: Extract<Reaction, "+1" | "rocket">;
  /** Runs the command and reports on the PR; true when everything it was asked succeeded. */
  run(ctx: EventContext, input: CommandInput): Promise<boolean>;
}
