/**
 * The terraform processes one run engine has started and not yet seen end: what its graceful
 * stop signals. One set per engine (ClusterRuns owns it and hands it to each TerraformRunner),
 * so stopping one engine never reaches another's terraform in the same process.
 */
import type { ChildProcess } from "node:child_process";

export class TerraformProcesses {
  private readonly running = new Set<ChildProcess>();

  /** Remembers a terraform child until `forget`. */
  track(child: ChildProcess): void {
    this.running.add(child);
  }

  forget(child: ChildProcess): void {
    this.running.delete(child);
  }

  /** How many are running now. */
  get size(): number {
    return this.running.size;
  }

  /**
   * Sends SIGTERM to every terraform process tracked (Terraform then stops at a safe point and
   * releases its state lock); returns how many were signalled.
   */
  terminate(): number {
    let signalled = 0;
    for (const child of this.running) if (child.kill("SIGTERM")) signalled++;
    return signalled;
  }
}
