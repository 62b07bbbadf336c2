/** `/k3s help`: the command table, as a comment. */
import { helpText } from "./parse";
import type { CommandRunner } from "./runner";

export const helpCommand: CommandRunner = {
  doneReaction: "+1",
  async run(ctx, { pr }) {
    await ctx.github.comment(pr.number, helpText());
    return true;
  },
};
