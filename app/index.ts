/**
 * k3s-bot's Probot entry (`probot run ./app/index.ts`): the app function, wired to real AWS.
 * Settings come from the environment (README, "Running the bot"); the run engine's are read by
 * app/runtime.ts, shared with the GitHub Action. Here, in addition:
 *   K3S_BOT_DELIVERY_TABLE  DynamoDB table where webhook deliveries are claimed, so a redelivered
 *                           or duplicated event runs once across replicas (point it at your
 *                           clusters' lock table, `state.lockTable`); in AWS_REGION
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Probot } from "probot";
import { createK3sBot } from "./bot/app";
import { DynamoDeliveryLog } from "./bot/deliveries";
import { createGitopsHandoff, defaultRepoUrl } from "./bot/gitops-handoff";
import { createClusterRuns, type Environment } from "./runtime";

/** The delivery log the environment asks for, or undefined (with a warning) when it asks none. */
export function deliveryLogFrom(
  env: Environment,
  log: { warn: (message: string) => void; error: (message: string) => void },
): DynamoDeliveryLog | undefined {
  const table = env.K3S_BOT_DELIVERY_TABLE;
  if (!table) {
    log.warn(
      "K3S_BOT_DELIVERY_TABLE is not set: a webhook GitHub redelivers, or a comment event that arrives twice, may run twice",
    );
    return undefined;
  }
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new Error("K3S_BOT_DELIVERY_TABLE needs AWS_REGION (the table's region)");
  const deliveries = new DynamoDeliveryLog(new DynamoDBClient({ region }), table);
  // Creates the table on first start; until it exists, claims fail and events run (logged).
  deliveries
    .ensureTable()
    .catch((error: unknown) =>
      log.error(
        `delivery table ${table}: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
  return deliveries;
}

export default function k3sBot(app: Probot): void {
  const deliveries = deliveryLogFrom(process.env, {
    warn: (message) => app.log.warn(message),
    error: (message) => app.log.error(message),
  });
  createK3sBot({
    runs: createClusterRuns(process.env),
    afterApply: createGitopsHandoff({ repoUrl: defaultRepoUrl }),
    ...(deliveries ? { deliveries } : {}),
  })(app);
}
