/**
 * Each guardrail keeps a definition that respects it and refuses one that does not, naming the
 * file, line and field; and the rules in force are the tightest of every side.
 */
import { describe, expect, it } from "vitest";
import { loadDefinition } from "../../../app/engine/definitions/load";
import { evaluateGuardrails } from "../../../app/engine/guardrails/evaluate";
import {
  type GuardrailId,
  type Guardrails,
  GuardrailsSchema,
  tighten,
} from "../../../app/engine/guardrails/rules";

const FILE = "clusters/dev.yaml";
const ROLE_ACCOUNT = "123456789012";

/** A valid definition; `edit` rewrites lines of it. */
function definition(edit: (lines: string[]) => string[] = (l) => l): string {
  return edit([
    "name: dev",
    "region: eu-central-1",
    "network:",
    "  vpcCidr: 10.40.0.0/16",
    "  azCount: 2",
    "  adminCidrs: [203.0.113.7/32]",
    "  apiEndpoint: private",
    "controlPlane: { count: 1, instanceType: t3.medium }",
    "workers:",
    "  min: 1",
    "  max: 2",
    "  instanceType: t3.large",
    "datastore: { engine: postgres, deletionProtection: true }",
    "state: { bucket: acme-tfstate }",
    "tags:",
    "  team: platform",
  ]).join("\n");
}

function check(text: string, rules: Guardrails, account = ROLE_ACCOUNT) {
  const loaded = loadDefinition(text, FILE);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const results = evaluateGuardrails(
    { config: loaded.config, text, file: FILE, account: { id: account, from: "aws.accountId" } },
    tighten([{ origin: "test", rules: GuardrailsSchema.parse(rules) }]),
  );
  return results;
}

const replace = (from: string, to: string) => (lines: string[]) =>
  lines.map((line) => (line === from ? to : line));

const cases: Array<{
  id: GuardrailId;
  rules: Guardrails;
  refused: string;
  line: number;
  field: string;
  message: RegExp;
  account?: string;
}> = [
  {
    id: "accounts",
    rules: { accounts: [ROLE_ACCOUNT] },
    refused: definition(),
    account: "999999999999",
    line: 1,
    field: "aws.accountId",
    message:
      /AWS account 999999999999 \(aws.accountId\) is not one of the allowed accounts: 123456789012/,
  },
  {
    id: "regions",
    rules: { regions: ["eu-central-1"] },
    refused: definition(replace("region: eu-central-1", "region: eu-west-1")),
    line: 2,
    field: "region",
    message: /region eu-west-1 is not allowed: use one of eu-central-1/,
  },
  {
    id: "instanceTypes",
    rules: { instanceTypes: ["t3.medium", "t3.large"] },
    refused: definition(replace("  instanceType: t3.large", "  instanceType: m6i.large")),
    line: 12,
    field: "workers.instanceType",
    message: /m6i.large is not an allowed instance type/,
  },
  {
    id: "maxWorkers",
    rules: { maxWorkers: 2 },
    refused: definition(replace("  max: 2", "  max: 3")),
    line: 11,
    field: "workers.max",
    message: /3 workers is more than the 2 allowed/,
  },
  {
    id: "maxMonthlyCostUsd",
    rules: { maxMonthlyCostUsd: 400 },
    refused: definition(replace("  max: 2", "  max: 6")),
    line: 11,
    field: "workers.max",
    message: /estimated \$[\d,.]+ a month with 6 workers .* more than the \$400 allowed/,
  },
  {
    id: "deletionProtection",
    rules: { deletionProtection: true },
    refused: definition(
      replace(
        "datastore: { engine: postgres, deletionProtection: true }",
        "datastore: { engine: postgres, deletionProtection: false }",
      ),
    ),
    line: 13,
    field: "datastore.deletionProtection",
    message: /must keep deletion protection on/,
  },
  {
    id: "privateApi",
    rules: { privateApi: true },
    refused: definition(replace("  apiEndpoint: private", "  apiEndpoint: public")),
    line: 7,
    field: "network.apiEndpoint",
    message: /must not be internet-facing/,
  },
  {
    id: "adminCidrsMinPrefix",
    rules: { adminCidrsMinPrefix: 8 },
    refused: definition(
      replace("  adminCidrs: [203.0.113.7/32]", "  adminCidrs: [203.0.113.7/32, 0.0.0.0/0]"),
    ),
    line: 6,
    field: "network.adminCidrs[1]",
    message: /0.0.0.0\/0 is wider than the \/8 allowed/,
  },
  {
    id: "requiredTags",
    rules: { requiredTags: ["team", "cost-center"] },
    refused: definition(),
    line: 15,
    field: "tags",
    message: /missing required tag cost-center/,
  },
];

describe.each(cases)("guardrail $id", ({ id, rules, refused, line, field, message, account }) => {
  it("keeps a definition that respects it", () => {
    const allowed =
      id === "requiredTags" ? definition((l) => [...l, "  cost-center: cc-7"]) : definition();
    const [result] = check(allowed, rules);
    expect(result?.id).toBe(id);
    expect(result?.refusal).toBeNull();
  });

  it("refuses one that does not, naming the file, line and field", () => {
    const [result] = check(refused, rules, account);
    expect(result?.id).toBe(id);
    expect(result?.refusal).toMatchObject({ file: FILE, line, field });
    expect(result?.refusal?.message).toMatch(message);
  });
});

describe("edge cases an author could use to slip past", () => {
  it("a cluster whose cost cannot be estimated is refused, not waved through", () => {
    // No prices are known for this instance type: the cost guardrail cannot be checked.
    const [result] = check(
      definition(replace("  instanceType: t3.large", "  instanceType: c7i.large")),
      {
        maxMonthlyCostUsd: 10_000,
      },
    );
    expect(result?.refusal?.message).toMatch(/cannot be estimated.*c7i.large/);
  });

  it("an unknown account is refused when accounts are limited", () => {
    const loaded = loadDefinition(definition(), FILE);
    if (!loaded.ok) throw new Error("invalid");
    const [result] = evaluateGuardrails(
      {
        config: loaded.config,
        text: definition(),
        file: FILE,
        account: { id: undefined, from: "the bot's own AWS identity could not be read" },
      },
      tighten([{ origin: "test", rules: { accounts: [ROLE_ACCOUNT] } }]),
    );
    expect(result?.refusal?.message).toMatch(/cannot be told/);
  });

  it("the 0.0.0.0/1 + 128.0.0.0/1 way of writing the internet is refused too", () => {
    const [result] = check(
      definition(
        replace("  adminCidrs: [203.0.113.7/32]", "  adminCidrs: [0.0.0.0/1, 128.0.0.0/1]"),
      ),
      { adminCidrsMinPrefix: 8 },
    );
    expect(result?.refusal?.field).toBe("network.adminCidrs[0]");
  });

  it("a server instance type outside the list is refused even when the workers' is allowed", () => {
    const [result] = check(definition(), { instanceTypes: ["t3.large"] });
    expect(result?.refusal).toMatchObject({ line: 8, field: "controlPlane.instanceType" });
  });

  it("a required tag with an empty value is missing", () => {
    const [result] = check(definition(replace("  team: platform", '  team: ""')), {
      requiredTags: ["team"],
    });
    expect(result?.refusal?.message).toMatch(/missing required tag team/);
  });

  it("a default left unwritten is judged too, pointed at the nearest written key", () => {
    // workers.max is not written: its default (3) is over the limit.
    const [result] = check(
      definition((l) => l.filter((line) => line !== "  max: 2")),
      { maxWorkers: 2 },
    );
    expect(result?.refusal).toMatchObject({ line: 9, field: "workers.max" });
  });
});

describe("tighten: a repository can narrow the operator's rules, never widen them", () => {
  const operator = {
    origin: "operator",
    rules: GuardrailsSchema.parse({
      regions: ["eu-central-1", "eu-west-1"],
      maxWorkers: 10,
      maxMonthlyCostUsd: 1000,
      deletionProtection: true,
      adminCidrsMinPrefix: 16,
      requiredTags: ["team"],
      overrides: { rules: ["maxWorkers", "maxMonthlyCostUsd"], permission: "maintain" },
    }),
  };

  it("keeps the operator's limits against a looser repository", () => {
    const repository = {
      origin: "repo",
      rules: GuardrailsSchema.parse({
        regions: ["eu-central-1", "us-east-1"],
        maxWorkers: 500,
        maxMonthlyCostUsd: 100_000,
        deletionProtection: false,
        adminCidrsMinPrefix: 0,
        overrides: { rules: ["regions", "deletionProtection", "maxWorkers"], permission: "write" },
      }),
    };
    const { rules, overridableBy } = tighten([operator, repository]);
    expect(rules).toEqual({
      regions: ["eu-central-1"],
      maxWorkers: 10,
      maxMonthlyCostUsd: 1000,
      deletionProtection: true,
      adminCidrsMinPrefix: 16,
      requiredTags: ["team"],
    });
    // The repository cannot open an override the operator did not allow, nor lower who may.
    expect(overridableBy.regions).toBeNull();
    expect(overridableBy.deletionProtection).toBeNull();
    expect(overridableBy.maxWorkers).toBe("maintain");
    // The repository set the cost limit without allowing its override: nobody may.
    expect(overridableBy.maxMonthlyCostUsd).toBeNull();
  });

  it("takes the repository's tighter limits", () => {
    const repository = {
      origin: "repo",
      rules: GuardrailsSchema.parse({
        regions: ["eu-west-1"],
        maxWorkers: 3,
        privateApi: true,
        requiredTags: ["cost-center"],
      }),
    };
    const { rules, origins } = tighten([operator, repository]);
    expect(rules).toMatchObject({
      regions: ["eu-west-1"],
      maxWorkers: 3,
      privateApi: true,
      requiredTags: ["team", "cost-center"],
    });
    expect(origins.maxWorkers).toEqual(["operator", "repo"]);
    expect(origins.privateApi).toEqual(["repo"]);
  });

  it("an empty intersection allows nothing", () => {
    const repository = {
      origin: "repo",
      rules: GuardrailsSchema.parse({ regions: ["us-east-1"] }),
    };
    const text = definition();
    const loaded = loadDefinition(text, FILE);
    if (!loaded.ok) throw new Error("invalid");
    const results = evaluateGuardrails(
      { config: loaded.config, text, file: FILE, account: { id: ROLE_ACCOUNT, from: "test" } },
      tighten([operator, repository]),
    );
    const regions = results.find((r) => r.id === "regions");
    expect(regions?.refusal?.message).toMatch(/use one of \(none: nothing is allowed\)/);
  });
});
