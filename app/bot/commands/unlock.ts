/** `/k3s unlock [cluster …]`: release this PR's locks, discarding their saved plans. */
import { canWrite } from "../authorize";
import * as text from "../comments";
import { repositoryDefinitions } from "../targets";
import type { CommandRunner } from "./runner";

export const unlockCommand: CommandRunner = {
  doneReaction: "+1",
  async run(ctx, { pr, clusters: named, user, config }) {
    const { github, runs } = ctx;
    if (!canWrite(await github.permission(user))) {
      await github.comment(
        pr.number,
        text.applyRefused([`@${user} needs write access to this repository to unlock`]),
      );
      return false;
    }
    const configs = await repositoryDefinitions(ctx, pr, config);
    if (configs.length === 0) {
      await github.comment(pr.number, text.unlockNowhere(config.definitionsPath));
      return false;
    }
    const released = await runs.unlockPullRequest(
      { repo: github.fullName, pullRequest: pr.number, user },
      configs,
      named,
    );
    // A named cluster this PR holds no lock on: say who does, when its definition tells where.
    const refused: Array<{ cluster: string; holder: string }> = [];
    for (const cluster of named.filter((c) => !released.includes(c))) {
      const known = configs.find((c) => c.name === cluster);
      const holder = known ? await runs.lockHolder(known) : null;
      refused.push({
        cluster,
        holder: holder ? `${holder.repo}#${holder.pullRequest}` : "nobody",
      });
    }
    await github.comment(pr.number, text.unlocked(released, refused));
    return refused.length === 0;
  },
};
