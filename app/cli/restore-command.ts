/**
 * `k3s-bot restore <definition> --snapshot <name> [--yes]`: restores a chosen etcd snapshot on
 * a running embedded-etcd cluster (app/engine/etcd-restore/). Without --yes it reads, checks and
 * prints the plan of steps, and changes nothing. An operator action with the operator's own AWS
 * credentials, never the bot's role: docs/backups.md lists the permissions it needs.
 */
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { S3Client } from "@aws-sdk/client-s3";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { Command } from "commander";
import type { ClusterConfig } from "../../infra/definition/config";
import {
  describePlan,
  executeRestore,
  prepareRestore,
  type RestoreClients,
  RestoreFailed,
  RestoreRefused,
  type StepTiming,
} from "../engine/etcd-restore/restore";
import { isMissingCredentials, missingCredentialsMessage } from "./aws-hints";

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export interface RestoreDeps {
  /** AWS clients for the cluster's region (tests pass fakes). */
  clients?: (config: ClusterConfig) => RestoreClients & { destroy?: () => void };
  timing?: StepTiming;
}

function awsClients(config: ClusterConfig): RestoreClients & { destroy: () => void } {
  const region = config.region;
  const clients = {
    autoscaling: new AutoScalingClient({ region }),
    ssm: new SSMClient({ region }),
    s3: new S3Client({ region }),
  };
  return {
    ...clients,
    destroy: () => {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}

export function addRestoreCommand(
  program: Command,
  io: Io,
  load: (file: string) => ClusterConfig,
  fail: (message: string) => Error,
  deps: RestoreDeps = {},
): void {
  program
    .command("restore")
    .description(
      "Restore a chosen etcd snapshot on a running embedded-etcd cluster, through SSM on its servers (prints the plan without --yes).",
    )
    .argument("<definition>", "cluster definition file")
    .requiredOption(
      "--snapshot <name>",
      "the snapshot's name in the cluster's bucket (etcd-snapshots/<name>)",
    )
    .option("--yes", "carry the plan out (without it: check and print the plan, change nothing)")
    .action(async (file: string, options: { snapshot: string; yes?: boolean }) => {
      const config = load(file);
      const clients = (deps.clients ?? awsClients)(config);
      try {
        io.err(`checking ${config.name} in ${config.region} …\n`);
        const plan = await prepareRestore(config, options.snapshot, clients, deps.timing);
        io.out(describePlan(plan));
        if (!options.yes) {
          io.out(
            `\nNothing was changed. Run again with --yes to restore (\`k3s-bot restore ${file} --snapshot ${options.snapshot} --yes\`).\n`,
          );
          return;
        }
        await executeRestore(plan, clients, { progress: io.err }, deps.timing);
        io.out(
          `\nRestored ${config.name} to ${plan.snapshot}. Node objects of servers that are gone stay until the cloud controller removes them; workers reconnect by themselves.\n`,
        );
      } catch (error) {
        if (error instanceof RestoreRefused || error instanceof RestoreFailed)
          throw fail(error.message);
        if (isMissingCredentials(error))
          throw fail(missingCredentialsMessage(`restore ${config.name}`));
        throw error;
      } finally {
        clients.destroy?.();
      }
    });
}
