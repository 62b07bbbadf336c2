/**
 * How `k3s-bot validate` reports problems: as text for a terminal (file:line:column, the source
 * line and a caret), or as GitHub workflow commands (`::error file=…,line=…::…`) that GitHub
 * turns into annotations on the pull request's diff. Inside GitHub Actions the default is the
 * latter (the runner sets GITHUB_ACTIONS=true).
 */
import { type DefinitionProblem, formatProblem } from "../engine/definitions/problems";

export const VALIDATE_FORMATS = ["text", "github"] as const;
export type ValidateFormat = (typeof VALIDATE_FORMATS)[number];

export function defaultValidateFormat(env: NodeJS.ProcessEnv = process.env): ValidateFormat {
  return env.GITHUB_ACTIONS === "true" ? "github" : "text";
}

/*
 * Escaping as @actions/core does it (actions/toolkit, packages/core/src/command.ts, core 3.0.1:
 * escapeData and escapeProperty). The message is the user's text (field names, values found):
 * a raw newline in it would end the command and let the next line be read as another workflow
 * command (`::add-mask::`, `::stop-commands::`), so `%`, CR and LF are always escaped, and `:`
 * and `,` in properties, which separate them.
 */
function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** One problem as an `::error` workflow command (properties as @actions/core names them). */
export function githubAnnotation(problem: DefinitionProblem): string {
  const properties = [
    `file=${escapeProperty(problem.file)}`,
    `line=${problem.line}`,
    `col=${problem.column}`,
    `title=${escapeProperty(problem.field ? `k3s-bot: ${problem.field}` : "k3s-bot: cluster definition")}`,
  ].join(",");
  // The same words as the text format; the diff view shows the line itself.
  const found = problem.found === undefined ? "" : `; found ${problem.found}`;
  return `::error ${properties}::${escapeData(`${problem.message}${found}`)}`;
}

/** The problems of one file, each on its own line(s), in the chosen format. */
export function formatValidateProblems(
  problems: readonly DefinitionProblem[],
  format: ValidateFormat,
): string {
  const render = format === "github" ? githubAnnotation : formatProblem;
  return `${problems.map(render).join("\n")}\n`;
}
