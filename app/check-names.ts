/**
 * The names of the bot's check runs, as users, branch protection rules and the plan comment see
 * them: `k3s plan · <cluster>` and `k3s apply · <cluster>`. Defined here only; the bot starts
 * them (bot/check-runs.ts), leaves them out of mergeability (bot/authorize.ts), and the plan step
 * points readers of a cut-short plan comment to the plan's (bot/steps/plan.ts).
 */

export const PLAN_CHECK_PREFIX = "k3s plan";
export const APPLY_CHECK_PREFIX = "k3s apply";

/** The check run of a cluster's plan. */
export const planCheckName = (cluster: string) => `${PLAN_CHECK_PREFIX} · ${cluster}`;
/** The check run of a cluster's apply. */
export const applyCheckName = (cluster: string) => `${APPLY_CHECK_PREFIX} · ${cluster}`;
