/**
 * Reads a cluster's status parameter (`/k3s-bot/<name>/status`, infra/naming.ts) with the bot's
 * own credentials: ssm:GetParameter on the status parameters only (docs/iam/). No network path
 * to the Kubernetes API is involved.
 */
import { GetParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { statusParameterName } from "../../../infra/naming";
import { type ClusterStatus, parseStatusDocument, StatusDocumentError } from "./document";

export type StatusRead =
  | { kind: "reported"; status: ClusterStatus }
  /** No server has reported yet (or the cluster does not exist in this region). */
  | { kind: "none" }
  /** Something is there but it is not a status document; `reason` says what is wrong. */
  | { kind: "unreadable"; reason: string };

export type StatusReader = (cluster: { name: string; region: string }) => Promise<StatusRead>;

/** A reader over SSM clients per region (AwsEnvironment.clients(region).ssm). */
export function ssmStatusReader(ssmFor: (region: string) => SSMClient): StatusReader {
  return async (cluster) => {
    const name = statusParameterName(cluster);
    try {
      const out = await ssmFor(cluster.region).send(new GetParameterCommand({ Name: name }));
      const value = out.Parameter?.Value;
      if (value === undefined) return { kind: "none" };
      return { kind: "reported", status: parseStatusDocument(value) };
    } catch (error) {
      if ((error as { name?: string }).name === "ParameterNotFound") return { kind: "none" };
      if (error instanceof StatusDocumentError)
        return { kind: "unreadable", reason: error.message };
      if ((error as { name?: string }).name === "AccessDeniedException")
        return {
          kind: "unreadable",
          reason: `not allowed to read ${name}: the bot needs ssm:GetParameter on it (docs/iam/)`,
        };
      throw error;
    }
  };
}
