/**
 * Which condition keys each action honours, as read from AWS's documentation and kept as facts
 * (infra/facts/iam-condition-keys.json: action → keys, source URL, date read). The policy
 * generator puts a condition on an action only when these facts say the action supports its
 * key: a key the action does not supply would silently deny (Null/StringEquals on an absent
 * key) or, in a Deny, silently allow.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface ConditionKeyFact {
  keys: string[];
  /** The source was read on `read` and names this action with these keys. */
  verified: boolean;
  /** The Service Authorization Reference page of the action's service. */
  source: string;
  read: string;
  /** In which row of that page (the action's own, its resource type's) each key stands. */
  basis: string;
  /** The machine-readable copy of the page the rows were read from. */
  via?: string;
  /** An AWS guide that uses the same condition on the action. */
  example?: string;
}

export const CONDITION_KEY_FACTS_PATH = "infra/facts/iam-condition-keys.json";

export const CONDITION_KEY_FACTS: Record<string, ConditionKeyFact> = (
  JSON.parse(
    readFileSync(join(import.meta.dirname, "..", "..", "..", CONDITION_KEY_FACTS_PATH), "utf8"),
  ) as { actions: Record<string, ConditionKeyFact> }
).actions;

/** `aws:ResourceTag/k3s-bot/cluster` → `aws:ResourceTag/${TagKey}`; other keys as they are. */
export function keyPattern(key: string): string {
  const slash = key.indexOf("/");
  return slash < 0 ? key : `${key.slice(0, slash)}/\${TagKey}`;
}

/** Global keys every request carries (IAM User Guide, "AWS global condition context keys"). */
export const ALWAYS_PRESENT = new Set(["aws:PrincipalAccount", "aws:PrincipalArn"]);

/**
 * Throws when a statement conditions an action on a key its facts do not list, or list
 * without having been verified against the source.
 */
export function checkConditionKeys(
  sid: string,
  actions: string[],
  condition: Record<string, Record<string, unknown>>,
): void {
  const keys = Object.values(condition).flatMap((block) => Object.keys(block));
  for (const action of actions) {
    for (const key of keys) {
      if (ALWAYS_PRESENT.has(key)) continue;
      const fact = CONDITION_KEY_FACTS[action];
      if (!fact?.keys.includes(keyPattern(key))) {
        throw new Error(
          `statement ${sid} conditions ${action} on ${key}, but ${CONDITION_KEY_FACTS_PATH} does not say ${action} supports it: read the Service Authorization Reference and add the fact, or move the action to an unconditioned statement`,
        );
      }
      if (!fact.verified) {
        throw new Error(
          `statement ${sid} conditions ${action} on ${key}, but its fact in ${CONDITION_KEY_FACTS_PATH} is not verified: read the action's row in the Service Authorization Reference and record it`,
        );
      }
    }
  }
}
