/**
 * The check runs of one event, and their names. A check run this event started and did not
 * finish is finished as failed if the event's work breaks (guarded.ts), so no check stays
 * "in progress" on a PR forever. Their names are defined in app/check-names.ts.
 */
import type { CheckAnnotation, RepoGitHub } from "./github";

export { applyCheckName, planCheckName } from "../check-names";

export interface CheckOutput {
  title: string;
  summary: string;
  /** Below the summary on the check run's page (the plan that did not fit in the comment). */
  text?: string;
  /** Further parts of the plan (plan-comment.ts). */
  annotations?: CheckAnnotation[];
}

export class OpenCheckRuns {
  private readonly open = new Set<number>();

  constructor(private readonly github: RepoGitHub) {}

  async start(name: string, headSha: string, title: string, summary?: string): Promise<number> {
    const id = await this.github.startCheckRun(name, headSha, title, summary);
    this.open.add(id);
    return id;
  }

  async finish(id: number, conclusion: "success" | "failure", output: CheckOutput): Promise<void> {
    await this.github.finishCheckRun(id, conclusion, output);
    this.open.delete(id);
  }

  /** Started and not finished, oldest first. */
  unfinished(): number[] {
    return [...this.open];
  }
}
