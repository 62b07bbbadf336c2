/**
 * Terraform runs in this process: one at a time per cluster (runs on one cluster queue behind
 * each other, in arrival order), and at most `maxConcurrent` at a time overall, since each
 * terraform process with the AWS provider takes a core and several hundred MB.
 * Across replicas, Terraform's own S3 state lock (use_lockfile) keeps two runs off one state.
 */
import { totalmem } from "node:os";

export class RunQueue {
  private readonly tails = new Map<string, Promise<unknown>>();
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** Highest number of runs seen at once, for tests and benchmarks. */
  peakConcurrent = 0;

  constructor(readonly maxConcurrent: number) {
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1)
      throw new Error("maxConcurrent must be at least 1");
  }

  /** Runs `task` after every earlier task for `key`, within the global bound. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.catch(() => undefined).then(() => this.withSlot(task));
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Runs queued or in progress. */
  get pending(): number {
    return this.tails.size;
  }

  private async withSlot<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running += 1;
    this.peakConcurrent = Math.max(this.peakConcurrent, this.running);
    try {
      return await task();
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }
}

/** What one terraform process with the AWS provider takes at its peak (the full stack: ~0.8 GB). */
export const TERRAFORM_PEAK_BYTES = 2 ** 30;

/**
 * The default bound: one terraform per core (a plan keeps a core busy: Terraform and its
 * provider are CPU-bound, the API calls are few), and no more than the memory holds at about
 * 1 GB each after 1 GB for the bot itself. At least one.
 */
export function defaultConcurrency(cores: number, memoryBytes: number = totalmem()): number {
  const byMemory = Math.floor((memoryBytes - 2 ** 30) / TERRAFORM_PEAK_BYTES);
  return Math.max(1, Math.min(cores, byMemory));
}
