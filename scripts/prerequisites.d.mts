// Types of scripts/prerequisites.mjs (plain JavaScript: it runs before dependencies exist).
export interface Prerequisite {
  name: string;
  check: (run: (command: string, args: string[]) => boolean) => boolean;
  hint: string;
}
export const PREREQUISITES: Prerequisite[];
export function missingPrerequisites(
  run?: (command: string, args: string[]) => boolean,
): Prerequisite[];
export function describeMissing(missing: Prerequisite[]): string;
