/**
 * Progress lines for `npm run demo`: numbered steps that end in "done" or "failed", and a
 * heartbeat while Terraform works for minutes (applying and destroying ~94 resources), counted
 * from Terraform's own "… complete" lines.
 */

export interface StepHandle {
  done: () => void;
  failed: (reason?: string) => void;
}

type Write = (text: string) => void;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function startStep(
  n: number,
  total: number,
  text: string,
  write: Write,
  now: () => number = Date.now,
): StepHandle {
  const started = now();
  let ended = false;
  write(`[${n}/${total}] ${text} …`);
  const end = (word: string) => {
    if (ended) return;
    ended = true;
    write(` ${word} (${seconds(now() - started)})\n`);
  };
  return {
    done: () => end("done"),
    failed: (reason) => end(reason ? `failed: ${reason}` : "failed"),
  };
}

/**
 * Counts resources Terraform reports finished: "Creation complete after 2s", "Destruction
 * complete", "Modifications complete" (Terraform's UI hook messages, one per resource).
 */
export class ResourceCounter {
  count = 0;
  private partial = "";
  feed(chunk: string): void {
    const lines = `${this.partial}${chunk}`.split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines)
      if (/: (Creation|Destruction|Modifications) complete/.test(line)) this.count += 1;
  }
}

export interface HeartbeatOptions {
  verb: string;
  /** Resources the plan touches, when known. */
  total?: number;
  counter: ResourceCounter;
  write: Write;
  intervalMs?: number;
  now?: () => number;
}

/** Prints `still applying… 45 s, 60/94 resources` every interval; returns the stop function. */
export function startHeartbeat(options: HeartbeatOptions): () => void {
  const now = options.now ?? Date.now;
  const started = now();
  const timer = setInterval(() => {
    const elapsed = Math.round((now() - started) / 1000);
    const of = options.total === undefined ? "" : `/${options.total}`;
    options.write(
      `\n      still ${options.verb}… ${elapsed} s, ${options.counter.count}${of} resources`,
    );
  }, options.intervalMs ?? 15_000);
  timer.unref();
  return () => clearInterval(timer);
}
