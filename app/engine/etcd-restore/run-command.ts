/**
 * One step of a restore on one or more servers through SSM Run Command: the AWS-RunShellScript
 * document runs `/opt/k3s-bot/etcd-restore.sh <step>` as root on each instance (the nodes run
 * the SSM agent with AmazonSSMManagedInstanceCore; they have no SSH), and we wait for every
 * instance's result.
 *
 * What this relies on, from AWS' own documentation:
 * - SendCommand's TimeoutSeconds is the delivery timeout: "If this time is reached and the
 *   command hasn't already started running, it won't run" (SSM API Reference, SendCommand).
 *   AWS-RunShellScript's `executionTimeout` parameter bounds the run itself (aws:runShellScript,
 *   default 3600 seconds; Command document plugin reference).
 * - GetCommandInvocation's Status: Pending, InProgress, Delayed (the node was not reachable; SSM
 *   tries again) and Cancelling are not final; Success, Cancelled, TimedOut and Failed are
 *   (CommandInvocationStatus; StatusDetails in the SSM API Reference). ResponseCode is the
 *   script's exit code, -1 when it never ran.
 * - StandardOutputContent / StandardErrorContent hold the first 24,000 / 8,000 characters
 *   (GetCommandInvocation): the script keeps its output short.
 * - Right after SendCommand, GetCommandInvocation may answer InvocationDoesNotExist until the
 *   invocation is recorded (eventual consistency, https://github.com/aws/aws-sdk/issues/86 and
 *   https://github.com/aws/aws-sdk-ruby/pull/2559), so that answer is retried a few times.
 */
import {
  GetCommandInvocationCommand,
  SendCommandCommand,
  type SSMClient,
} from "@aws-sdk/client-ssm";

/** Where the bootstrap installs the restore steps on every embedded-etcd server. */
export const RESTORE_SCRIPT = "/opt/k3s-bot/etcd-restore.sh";
export const RUN_SHELL_SCRIPT = "AWS-RunShellScript";

const FINAL = new Set(["Success", "Cancelled", "TimedOut", "Failed"]);

export interface StepResult {
  instanceId: string;
  ok: boolean;
  /** GetCommandInvocation's Status (and StatusDetails when they differ). */
  status: string;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Bound of the script's run on each instance (AWS-RunShellScript executionTimeout). */
  executionTimeoutSeconds: number;
  /** How long SSM may take to deliver the command (SendCommand TimeoutSeconds, at least 30). */
  deliveryTimeoutSeconds?: number;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Runs `etcd-restore.sh <args>` on every instance and waits until each has a final result. */
export async function runStep(
  ssm: Pick<SSMClient, "send">,
  instanceIds: string[],
  args: string[],
  options: RunOptions,
): Promise<StepResult[]> {
  const pollMs = options.pollMs ?? 5_000;
  const sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  const delivery = Math.max(30, options.deliveryTimeoutSeconds ?? 300);
  const sent = await ssm.send(
    new SendCommandCommand({
      DocumentName: RUN_SHELL_SCRIPT,
      InstanceIds: instanceIds,
      Comment: `k3s-bot restore: ${args[0]}`.slice(0, 100),
      TimeoutSeconds: delivery,
      Parameters: {
        commands: [[RESTORE_SCRIPT, ...args].join(" ")],
        executionTimeout: [String(options.executionTimeoutSeconds)],
      },
    }),
  );
  const commandId = sent.Command?.CommandId;
  if (!commandId) throw new Error("SSM SendCommand returned no command id");
  // Past this, SSM itself has ended the command (not delivered, or timed out on the node).
  const deadline = (delivery + options.executionTimeoutSeconds) * 1000 + 10 * pollMs;
  const results: StepResult[] = [];
  for (const instanceId of instanceIds) {
    let missing = 0;
    for (let waited = 0; ; waited += pollMs) {
      let answer: Awaited<ReturnType<typeof getInvocation>> | undefined;
      try {
        answer = await getInvocation(ssm, commandId, instanceId);
      } catch (error) {
        if ((error as Error).name !== "InvocationDoesNotExist" || ++missing > 5) throw error;
      }
      if (answer?.Status && FINAL.has(answer.Status)) {
        const details = answer.StatusDetails;
        results.push({
          instanceId,
          ok: answer.Status === "Success",
          status:
            details && details !== answer.Status ? `${answer.Status} (${details})` : answer.Status,
          stdout: answer.StandardOutputContent ?? "",
          stderr: answer.StandardErrorContent ?? "",
        });
        break;
      }
      if (waited >= deadline)
        throw new Error(
          `SSM command ${commandId} on ${instanceId} has no final result after ${Math.round(waited / 1000)} s (status ${answer?.Status ?? "unknown"})`,
        );
      await sleep(pollMs);
    }
  }
  return results;
}

function getInvocation(ssm: Pick<SSMClient, "send">, commandId: string, instanceId: string) {
  return ssm.send(
    new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }),
  );
}
