/** `/k3s plan [cluster …]`: plan the named clusters, or those the PR changes. */
import { atLeast } from "../permissions";
import { planClusters } from "../steps/plan";
import type { CommandRunner } from "./runner";

export const planCommand: CommandRunner = {
  doneReaction: "+1",
  async run(ctx, { pr, clusters, user, config }) {
    const { github } = ctx;
    if (pr.fromFork && config.forkPullRequests !== "plan") {
      await github.comment(
        pr.number,
        "This PR comes from a fork; this repository does not plan fork PRs (`forkPullRequests: ignore`).",
      );
      return false;
    }
    // A plan runs Terraform with the bot's AWS identity and takes the cluster's lock: only
    // people the repository trusts that far may ask for one (`plan.permission`).
    const permission = await github.permission(user);
    if (!atLeast(permission, config.plan.permission)) {
      await github.comment(
        pr.number,
        `### k3s plan · refused\n\nNothing was planned and no lock was taken: @${user} needs ${config.plan.permission} access to this repository to plan (has: ${permission}). Someone with it can comment \`/k3s plan\`.`,
      );
      return false;
    }
    return planClusters(ctx, pr, clusters, user, config);
  },
};
