/**
 * The guardrails as the plan comment, the apply comment and the check runs show them: one
 * section, every rule in force, each refusal with its file, line and field, and how to override
 * it where that is allowed.
 */

import { formatProblem } from "../engine/definitions/problems";
import type { GuardrailResult } from "../engine/guardrails/evaluate";
import type { GuardrailId } from "../engine/guardrails/rules";

/** "" when no guardrail is set. */
export function guardrailsSection(
  results: readonly GuardrailResult[],
  cluster: string,
  overridden: readonly GuardrailId[] = [],
): string {
  if (results.length === 0) return "";
  const refused = results.filter((r) => r.refusal && !overridden.includes(r.id));
  const heading = refused.length
    ? `#### Guardrails · ${refused.length} of ${results.length} refused: this plan cannot be applied`
    : `#### Guardrails · all ${results.length} kept`;
  const lines = results.map((r) => {
    const rule = `\`${r.id}\` (${r.rule}; set by ${r.origins.join(" and ")})`;
    if (!r.refusal) return `- ✅ ${rule}`;
    const where = `\`${formatProblem({ ...r.refusal, sourceLine: "" }).replace(/`/g, "'")}\``;
    if (overridden.includes(r.id)) return `- ⚠️ ${rule}: overridden. ${where}`;
    const how = r.overridableBy
      ? ` Someone with ${r.overridableBy} access may override it for one apply: \`/k3s apply --override-guardrail ${r.id} ${cluster}\`.`
      : " It cannot be overridden: change the definition.";
    return `- ⛔ ${rule}: ${where}.${how}`;
  });
  return [heading, "", ...lines, "", ""].join("\n");
}

/** The check-run title when guardrails refuse, or null. */
export function guardrailsTitle(results: readonly GuardrailResult[]): string | null {
  const refused = results.filter((r) => r.refusal).map((r) => r.id);
  return refused.length ? `Guardrails refuse apply: ${refused.join(", ")}` : null;
}
