/**
 * The plan summary from what `terraform plan` already printed, so a plan does not pay for two
 * more Terraform processes (`show -json` and `show` each load the AWS provider's schema: about
 * 6 s apiece for the full stack here).
 *
 * `terraform plan -no-color -out=…` prints, after its progress lines, the same text
 * `terraform show <planfile>` prints. Each resource instance with an action has a header line
 * (`  # aws_vpc.main will be created`), and Terraform ends with its own totals
 * (`Plan: 3 to add, 1 to change, 0 to destroy.`). The summary is read from the headers and
 * accepted only when it adds up to Terraform's totals exactly, and when every header was one we
 * know; anything else returns null, and the caller asks `terraform show -json` instead.
 */
import { type ChangeKind, countByType, type PlanSummary, type ResourceChange } from "./summary";

/** Progress lines `terraform plan` prints that `terraform show` does not. */
const PROGRESS = [
  /^\S.*: (Refreshing state\.\.\.|Reading\.\.\.|Read complete after |Still reading\.\.\.|Preparing import\.\.\.|Refreshing\.\.\.)/,
  /^(Acquiring|Releasing) state lock\. This may take a few moments\.\.\.$/,
];

/** The plan text as `terraform show <planfile>` would print it: progress lines removed. */
export function planTextFromStdout(stdout: string): string {
  return stdout
    .split("\n")
    .filter((line) => !PROGRESS.some((pattern) => pattern.test(line)))
    .join("\n")
    .replace(/^\n+/, "")
    .trimEnd();
}

const ACTIONS_HEADING = "Terraform will perform the following actions:";
const OUTPUTS_HEADING = "Changes to Outputs:";
const NO_CHANGES = /^No changes\. /m;
const TOTALS =
  /^Plan: (?:(\d+) to import, )?(\d+) to add, (\d+) to change, (\d+) to destroy(?:, (\d+) to forget)?\.$/m;
/** `  # <address> <what happens>`; `  # (because …)` and the like explain the line above. */
const HEADER = /^ {2}# ([^(\s].*?) ((?:will|must|is|has) .+)$/;

/** What a header's wording says happens; null: nothing happens to infrastructure. */
function kindOfPhrase(phrase: string): ChangeKind | null | "unknown" {
  switch (phrase) {
    case "will be created":
      return "add";
    case "will be updated in-place":
      return "change";
    case "will be destroyed":
      return "destroy";
    case "must be replaced":
    case "is tainted, so must be replaced":
    case "will be replaced, as requested":
    case "will be replaced due to changes in replace_triggered_by":
      return "replace";
    case "will be read during apply":
    case "will be imported":
    case "will no longer be managed by Terraform":
      return null;
    default:
      return /^has moved to \S+$/.test(phrase) ? null : "unknown";
  }
}

/** Splits an address at the dots that separate its steps (not those inside `["a.b"]`). */
function addressSteps(address: string): string[] {
  const steps: string[] = [];
  let current = "";
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < address.length; i++) {
    const ch = address[i] as string;
    if (quoted) {
      if (ch === "\\") {
        current += ch + (address[i + 1] ?? "");
        i++;
        continue;
      }
      if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === "[") depth++;
    else if (ch === "]") depth--;
    else if (ch === "." && depth === 0) {
      steps.push(current);
      current = "";
      continue;
    }
    current += ch;
  }
  steps.push(current);
  return steps;
}

/** Resource type and mode of an instance address (module path and index ignored). */
export function resourceOfAddress(address: string): { type: string; mode: "managed" | "data" } {
  const steps = addressSteps(address.replace(/ \(deposed object \w+\)$/, ""));
  let i = 0;
  while (steps[i]?.replace(/\[.*$/, "") === "module") i += 2;
  if (steps[i] === "data") return { type: steps[i + 1] ?? "", mode: "data" };
  return { type: steps[i] ?? "", mode: "managed" };
}

/**
 * The summary `summarizePlan(terraform show -json)` would give, from the plan's text; null when
 * the text is not one this function is sure about (the caller then asks Terraform for JSON).
 */
export function summarizePlanText(text: string, terraformVersion: string): PlanSummary | null {
  const lines = text.split("\n");
  const changes: ResourceChange[] = [];
  const actionsAt = lines.indexOf(ACTIONS_HEADING);
  const totals = TOTALS.exec(text);
  if (actionsAt >= 0) {
    if (!totals) return null;
    for (const line of lines.slice(actionsAt + 1)) {
      if (line.startsWith("Plan: ")) break;
      const header = HEADER.exec(line);
      if (!header) continue;
      const [, address = "", phrase = ""] = header;
      const kind = kindOfPhrase(phrase);
      if (kind === "unknown") return null;
      const resource = resourceOfAddress(address);
      if (!resource.type) return null;
      if (kind === null || resource.mode === "data") continue;
      changes.push({ address, type: resource.type, kind });
    }
  } else if (totals) {
    return null; // Totals without the actions heading: not a layout we know.
  }

  const count = (kind: ChangeKind) => changes.filter((c) => c.kind === kind).length;
  const replace = count("replace");
  const add = count("add") + replace;
  const change = count("change");
  const destroy = count("destroy") + replace;
  if (totals) {
    const [, , tAdd, tChange, tDestroy] = totals;
    if (Number(tAdd) !== add || Number(tChange) !== change || Number(tDestroy) !== destroy)
      return null;
  }

  const outputChanges: string[] = [];
  const outputsAt = lines.indexOf(OUTPUTS_HEADING);
  if (outputsAt >= 0) {
    for (const line of lines.slice(outputsAt + 1)) {
      if (line === "") break;
      const output = /^ {2}(?:[+~-]|-\/\+|\+\/-) ([A-Za-z_][A-Za-z0-9_-]*)\s*=/.exec(line);
      if (output?.[1]) outputChanges.push(output[1]);
      else if (!/^ {3,}/.test(line)) return null;
    }
  }

  const hasChanges = changes.length > 0 || outputChanges.length > 0;
  // No totals and no changes: Terraform must have said so in its own words.
  if (!totals && changes.length === 0 && outputChanges.length === 0 && !NO_CHANGES.test(text))
    return null;

  return {
    add,
    change,
    destroy,
    replace,
    byType: countByType(changes),
    destructive: changes.filter((c) => c.kind === "destroy" || c.kind === "replace"),
    changes,
    outputChanges,
    hasChanges,
    terraformVersion,
  };
}
