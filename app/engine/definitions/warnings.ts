/**
 * What is allowed in a definition but deserves a word before it is applied: not an error (a
 * person may mean it), but never silent. Each warning names the file, line and field, and says
 * why, the way problems do (problems.ts).
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { ClusterConfig } from "../../../infra/definition/config";
import type { DefinitionProblem } from "./problems";

/**
 * Admin CIDRs this wide (a /7 or wider: 33 million addresses and more) are the internet, not an
 * office: `0.0.0.0/0`, and also the `0.0.0.0/1` + `128.0.0.0/1` way of writing it.
 */
const WIDEST_PREFIX = 7;
const prefixOf = (cidr: string) => Number(cidr.trim().split("/")[1] ?? 32);
const isWide = (cidr: string) => prefixOf(cidr) <= WIDEST_PREFIX;
const reach = (cidr: string) =>
  prefixOf(cidr) === 0
    ? `${cidr} lets the whole internet reach`
    : `${cidr} lets ${(2 ** (32 - prefixOf(cidr))).toLocaleString("en-US")} internet addresses reach`;

/** Warnings for a valid definition (`config` is what `text` loaded to). */
export function definitionWarnings(
  text: string,
  file: string,
  config: ClusterConfig,
): DefinitionProblem[] {
  const warnings: DefinitionProblem[] = [];
  if (config.network.apiEndpoint !== "public") return warnings;
  for (const cidr of config.network.adminCidrs.filter(isWide)) {
    const where = locate(text, ["network", "adminCidrs"], (value) => value.trim() === cidr);
    warnings.push({
      file,
      line: where.line,
      column: where.column,
      field: `network.adminCidrs${where.index === undefined ? "" : `[${where.index}]`}`,
      message: `${reach(cidr)} the Kubernetes API (TCP 6443) of ${config.name}; only its certificates and tokens stand between an attacker and the API server, and any API server vulnerability is exposed to every scanner. List the addresses you reach it from (an office or VPN egress, e.g. 203.0.113.7/32), or set network.apiEndpoint: private and reach it over VPN or peering.`,
    });
  }
  return warnings;
}

/** Where a sequence item (or else the key) at `path` is in the file; line 1 if not found. */
export function locate(
  text: string,
  path: readonly string[],
  matches: (value: string) => boolean,
): { line: number; column: number; index?: number } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  const at = (offset: number | undefined) => {
    const position = lineCounter.linePos(offset ?? 0);
    return { line: position.line, column: position.col };
  };
  let node: unknown = document.contents;
  let keyOffset: number | undefined;
  for (const key of path) {
    if (!isMap(node)) return at(keyOffset);
    const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
    if (!pair) return at(keyOffset);
    keyOffset = isScalar(pair.key) ? pair.key.range?.[0] : keyOffset;
    node = pair.value;
  }
  if (isSeq(node)) {
    const index = node.items.findIndex((item) => isScalar(item) && matches(String(item.value)));
    const item = node.items[index];
    if (index >= 0 && isScalar(item)) return { ...at(item.range?.[0]), index };
  }
  return at(keyOffset);
}

/** The warnings as the plan comment shows them: a GitHub alert above the plan. */
export function warningsMarkdown(warnings: readonly DefinitionProblem[]): string {
  if (warnings.length === 0) return "";
  return [
    "> [!WARNING]",
    ...warnings.map(
      (w) =>
        `> \`${w.file}:${w.line}:${w.column}\` \`${w.field}\`: ${w.message.replaceAll("\n", " ")}`,
    ),
    "",
    "",
  ].join("\n");
}
