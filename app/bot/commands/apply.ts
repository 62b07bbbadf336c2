/**
 * `/k3s apply [cluster …]`: apply the plans reviewed for the current commit, once the gates
 * (apply-gate.ts: write access, approvals, checks) let it.
 */
import { applyGate } from "../apply-gate";
import * as text from "../comments";
import { runFor } from "../context";
import { applyOne } from "../steps/apply";
import { resolveTargets } from "../targets";
import type { CommandRunner } from "./runner";

export const applyCommand: CommandRunner = {
  doneReaction: "rocket",
  async run(ctx, { pr, clusters, user, config, overrides = [] }) {
    const { github } = ctx;
    const refusals = await applyGate(github, pr, user, config);
    if (refusals.length > 0) {
      await github.comment(pr.number, text.applyRefused(refusals));
      return false;
    }
    const { targets, misnamedReported } = await resolveTargets(ctx, pr, clusters, config);
    if (targets.length === 0) {
      if (!misnamedReported)
        await github.comment(pr.number, text.noClusters(config.definitionsPath));
      return false;
    }
    const ref = runFor(github, pr, user);
    let allOk = true;
    for (const target of targets)
      allOk = (await applyOne(ctx, pr, ref, target, config, false, overrides)) && allOk;
    return allOk;
  },
};
