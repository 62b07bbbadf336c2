/**
 * The names of the bot's check runs, as users, branch protection rules and the plan comment see
 * them: `k3s plan · <cluster>` and `k3s apply · <cluster>`. Defined here only; the bot starts
 * them (bot/check-runs.ts), leaves them out of mergeability (bot/authorize.ts), and the plan
 * comment points readers to the plan's (bot/plan-comment.ts).
 */

export const PLAN_CHECK_PREFIX = "k3s plan";
export const APPLY_CHECK_PREFIX = "k3s apply";

/** The check run of a cluster's plan. */
export const planCheckName = (cluster: string) => `${PLAN_CHECK_PREFIX} · ${cluster}`;
/** The check run of a cluster's apply. */
export const applyCheckName = (cluster: string) => `${APPLY_CHECK_PREFIX} · ${cluster}`;
