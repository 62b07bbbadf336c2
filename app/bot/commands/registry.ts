/**
 * Every comment command's runner, by the kind the parser (parse.ts) returns. Adding a command
 * is its name and description in parse.ts, one runner file, and one line here; the compiler
 * refuses a kind without a runner (see docs/architecture.md, "Adding a command").
 */

import { applyCommand } from "./apply";
import { helpCommand } from "./help";
import type { CommandKind } from "./parse";
import { planCommand } from "./plan";
import type { CommandRunner } from "./runner";
import { statusCommand } from "./status";
import { unlockCommand } from "./unlock";

export const COMMAND_RUNNERS: Readonly<Record<CommandKind, CommandRunner>> = {
  plan: planCommand,
  apply: applyCommand,
  unlock: unlockCommand,
  status: statusCommand,
  help: helpCommand,
};
