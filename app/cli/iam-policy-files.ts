/**
 * `k3s-bot iam-policy`: the IAM policy the bot needs for your own definitions (their state
 * bucket, lock table and state keys), made by the same generator as docs/iam/ (its README says
 * why each statement is there). The full policy fits a role's inline policy; the parts fit IAM's
 * managed-policy size, for those who attach managed policies instead.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { nodeBoundaryPolicy } from "../../infra/iam-boundary";
import { generatedIamFiles, policyJsonFile } from "../docs/iam/files";
import { managedPolicyParts } from "../docs/iam-policy";

/** The checkout: the generator reads the bot's own sources for the AWS calls it makes. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export const IAM_POLICY_FILE = "k3s-bot-policy.json";
export const BOUNDARY_FILE = "k3s-bot-node-boundary.json";

export interface IamPolicyFiles {
  /** The whole policy, as JSON. */
  policy: string;
  /** File name → JSON of each managed-policy part. */
  parts: Record<string, string>;
  /** The permissions boundary of the roles the stack creates (infra/iam-boundary.ts). */
  boundary: string;
}

/** `definitions` as given on the command line (relative to the current directory). */
export function iamPolicyFiles(definitions: readonly string[]): IamPolicyFiles {
  const absolute = definitions.map((file) => resolve(file));
  const { document, partition } = generatedIamFiles(ROOT, absolute, IAM_POLICY_FILE);
  const json = policyJsonFile;
  const parts = managedPolicyParts(document);
  return {
    policy: json(document),
    boundary: json(nodeBoundaryPolicy(partition)),
    parts: Object.fromEntries(
      parts.map((part, index) => [`k3s-bot-policy.part-${index + 1}.json`, json(part)]),
    ),
  };
}
