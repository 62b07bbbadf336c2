/**
 * A small IAM policy evaluator for the tests: enough of IAM's evaluation logic (IAM User Guide,
 * "Policy evaluation logic") to walk the generated policies with an attacker's requests.
 *
 * - An explicit Deny in any policy wins; otherwise the identity policy must Allow, and, when the
 *   principal has a permissions boundary, the boundary must Allow too.
 * - Action and NotAction with `*`/`?` wildcards, case-insensitive; Resource with wildcards.
 * - Policy variables `${key}` in Resource and condition values, from the request context; a
 *   variable whose key is absent makes that element match nothing.
 * - Condition operators the policies use: StringEquals, StringNotEquals, StringLike, ArnEquals,
 *   ArnLike, Null, and the ForAllValues:/ForAnyValue: set prefixes. All operators and keys of a
 *   statement must hold (AND); any value of a key may match (OR). An operator not listed throws,
 *   so a policy using one cannot pass by accident.
 */

export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface Policy {
  Version: string;
  Statement: Statement[];
}

export interface Request {
  action: string;
  resource: string;
  /** Condition keys of the request (`aws:PrincipalAccount`, `iam:PermissionsBoundary`…). */
  context?: Record<string, string | string[]>;
}

export type Decision = "allow" | "explicit-deny" | "implicit-deny";

const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  const regex = escaped.replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${regex}$`, ignoreCase ? "i" : "").test(value);
}

/** Substitutes `${key}`; undefined when a key is absent from the context. */
function substitute(text: string, context: Record<string, string | string[]>): string | undefined {
  let missing = false;
  const out = text.replace(/\$\{([^}]+)\}/g, (_, key: string) => {
    const value = context[key];
    if (typeof value !== "string") {
      missing = true;
      return "";
    }
    return value;
  });
  return missing ? undefined : out;
}

function matchValue(operator: string, pattern: string, value: string): boolean {
  switch (operator) {
    case "StringEquals":
    case "ArnEquals":
      return pattern === value;
    case "StringLike":
    case "ArnLike":
      return wildcard(pattern, value);
    default:
      throw new Error(`evaluator does not know condition operator ${operator}`);
  }
}

function conditionHolds(
  condition: Record<string, Record<string, string | string[]>>,
  context: Record<string, string | string[]>,
): boolean {
  return Object.entries(condition).every(([rawOperator, block]) =>
    Object.entries(block).every(([key, rawValues]) => {
      const values = list(rawValues).map((v) => substitute(v, context));
      const present = key in context;
      const actual = list(context[key]);
      const [prefix, operator] = rawOperator.includes(":")
        ? (rawOperator.split(":") as [string, string])
        : [undefined, rawOperator];
      if (operator === "Null") {
        return values.some((v) => (v === "true" ? !present : present));
      }
      const negated = operator.startsWith("StringNot") || operator.startsWith("ArnNot");
      const base = negated ? operator.replace("Not", "") : operator;
      const anyMatch = (a: string) => values.some((v) => v !== undefined && matchValue(base, v, a));
      if (prefix === "ForAllValues") {
        return actual.every((a) => (negated ? !anyMatch(a) : anyMatch(a)));
      }
      if (prefix === "ForAnyValue") {
        return actual.some((a) => (negated ? !anyMatch(a) : anyMatch(a)));
      }
      if (prefix !== undefined) throw new Error(`unknown set operator ${rawOperator}`);
      if (!present) return negated;
      const matched = actual.some(anyMatch);
      return negated ? !matched : matched;
    }),
  );
}

function statementApplies(statement: Statement, request: Request): boolean {
  const context = request.context ?? {};
  const actionMatches = (patterns: string[]) =>
    patterns.some((p) => wildcard(p, request.action, true));
  if (statement.Action !== undefined && !actionMatches(list(statement.Action))) return false;
  if (statement.NotAction !== undefined && actionMatches(list(statement.NotAction))) return false;
  const resources = list(statement.Resource).map((r) => substitute(r, context));
  if (!resources.some((r) => r !== undefined && wildcard(r, request.resource))) return false;
  return statement.Condition === undefined || conditionHolds(statement.Condition, context);
}

function decide(policies: Policy[], request: Request): Decision {
  const applying = policies.flatMap((p) => p.Statement).filter((s) => statementApplies(s, request));
  if (applying.some((s) => s.Effect === "Deny")) return "explicit-deny";
  return applying.some((s) => s.Effect === "Allow") ? "allow" : "implicit-deny";
}

/** The decision for a principal with these identity policies and, optionally, a boundary. */
export function evaluate(request: Request, identity: Policy[], boundary?: Policy): Decision {
  const all = boundary ? [...identity, boundary] : identity;
  if (
    all.flatMap((p) => p.Statement).some((s) => s.Effect === "Deny" && statementApplies(s, request))
  ) {
    return "explicit-deny";
  }
  if (decide(identity, request) !== "allow") return "implicit-deny";
  if (boundary && decide([boundary], request) !== "allow") return "implicit-deny";
  return "allow";
}
