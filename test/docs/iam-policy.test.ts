/**
 * The shipped IAM policy (docs/iam/) covers every resource type the stack can create and every
 * AWS SDK call of the bot, is what the generator produces now, and is valid IAM policy grammar
 * within IAM's size limits. Regenerate with `tsx app/docs/write-iam-policy.ts`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ALWAYS_PRESENT,
  CONDITION_KEY_FACTS,
  checkConditionKeys,
  keyPattern,
} from "../../app/docs/iam/condition-keys";
import { generatedIamFiles, IAM_POLICY_PATH } from "../../app/docs/iam/files";
import {
  buildPolicy,
  EXAMPLE_DEFINITIONS,
  grantsFor,
  IAM_LIMITS,
  loadConfigs,
  managedPolicyParts,
  type PolicyDocument,
  policySize,
  RESOURCE_PERMISSIONS,
  resourceTypes,
  SDK_COMMANDS,
  type SynthesizedStack,
  sdkCommandsUsed,
  synthesizedStacks,
} from "../../app/docs/iam-policy";

const ROOT = join(import.meta.dirname, "..", "..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

/** Problems with a document's IAM policy grammar; empty when it is valid. */
function grammarProblems(document: unknown): string[] {
  const problems: string[] = [];
  const doc = document as Record<string, unknown>;
  const allowedTop = ["Version", "Id", "Statement"];
  for (const key of Object.keys(doc)) {
    if (!allowedTop.includes(key)) problems.push(`unknown top-level key ${key}`);
  }
  if (doc.Version !== "2012-10-17") problems.push(`Version is ${String(doc.Version)}`);
  if (!Array.isArray(doc.Statement) || doc.Statement.length === 0) {
    problems.push("Statement is not a non-empty list");
    return problems;
  }
  const sids = new Set<string>();
  const action = /^[a-z0-9-]+:[A-Za-z0-9*]+$/;
  const resource = /^(\*|arn:(aws|aws-cn|aws-us-gov):[a-z0-9-]+:[a-z0-9-*]*:(\d{12}|\*)?:.+)$/;
  const stringOrList = (value: unknown) =>
    typeof value === "string" ? [value] : Array.isArray(value) ? value : undefined;
  doc.Statement.forEach((raw: unknown, index: number) => {
    const statement = raw as Record<string, unknown>;
    const where = `Statement[${index}]`;
    for (const key of Object.keys(statement)) {
      if (!["Sid", "Effect", "Action", "Resource", "Condition"].includes(key)) {
        problems.push(`${where}: unexpected key ${key}`);
      }
    }
    if (statement.Sid !== undefined) {
      const sid = String(statement.Sid);
      if (!/^[A-Za-z0-9]+$/.test(sid)) problems.push(`${where}: Sid ${sid} is not alphanumeric`);
      if (sids.has(sid)) problems.push(`${where}: duplicate Sid ${sid}`);
      sids.add(sid);
    }
    if (statement.Effect !== "Allow" && statement.Effect !== "Deny") {
      problems.push(`${where}: Effect is ${String(statement.Effect)}`);
    }
    for (const [key, pattern] of [
      ["Action", action],
      ["Resource", resource],
    ] as const) {
      const values = stringOrList(statement[key]);
      if (!values || values.length === 0) {
        problems.push(`${where}: ${key} is not a string or a non-empty list`);
        continue;
      }
      for (const value of values) {
        if (typeof value !== "string" || !pattern.test(value)) {
          problems.push(`${where}: ${key} ${String(value)} is malformed`);
        }
      }
      if (new Set(values).size !== values.length) problems.push(`${where}: duplicate ${key}`);
    }
    if (statement.Condition !== undefined) {
      const condition = statement.Condition as Record<string, unknown>;
      for (const [operator, block] of Object.entries(condition)) {
        if (!/^(ForAnyValue:|ForAllValues:)?[A-Za-z]+$/.test(operator)) {
          problems.push(`${where}: condition operator ${operator}`);
        }
        for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
          if (!/^[a-z0-9-]+:[A-Za-z0-9/._*-]+$/.test(key)) {
            problems.push(`${where}: condition key ${key}`);
          }
          if (!stringOrList(value)) problems.push(`${where}: condition value of ${key}`);
        }
      }
    }
  });
  return problems;
}

/** IAM's wildcard match (`*` any run of characters, `?` one). */
function matches(pattern: string, value: string): boolean {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${escaped.replace(/\*/g, ".*").replace(/\?/g, ".")}$`).test(value);
}

function statement(document: PolicyDocument, sid: string) {
  const found = document.Statement.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid}`);
  return found;
}

/** Whether the policy allows `action` on `arn`, ignoring conditions. */
function allows(document: PolicyDocument, action: string, arn: string): boolean {
  return document.Statement.some(
    (s) =>
      s.Action.some((a) => matches(a, action)) &&
      [s.Resource].flat().some((resource) => matches(resource, arn)),
  );
}

describe("the IAM policy k3s-bot ships", () => {
  let definitions: SynthesizedStack[];
  let variants: SynthesizedStack[];
  let generated: ReturnType<typeof generatedIamFiles>;
  let document: PolicyDocument;

  beforeAll(() => {
    ({ definitions, variants } = synthesizedStacks(
      loadConfigs(EXAMPLE_DEFINITIONS.map((file) => join(ROOT, file))),
    ));
    document = buildPolicy(definitions, variants);
    generated = generatedIamFiles(ROOT);
  });

  it("has a row for every resource type of both examples and of every feature variant", () => {
    const names = definitions.map(({ config }) => config.name);
    expect(names).toEqual(["dev", "ha"]);
    for (const stack of [...definitions, ...variants]) {
      const types = resourceTypes(stack.json);
      expect(types.length).toBeGreaterThan(20);
      expect(types.filter((type) => !RESOURCE_PERMISSIONS[type])).toEqual([]);
    }
    // The variants reach what the examples do not (no database with embedded etcd, etc.).
    const exampleTypes = new Set(definitions.flatMap(({ json }) => resourceTypes(json)));
    const etcd = variants[0] as SynthesizedStack;
    expect(etcd.config.datastore.engine).toBe("etcd");
    expect(resourceTypes(etcd.json)).not.toContain("aws_db_instance");
    expect(exampleTypes.has("aws_db_instance")).toBe(true);
  });

  it("has no row for a resource type the stack cannot create", () => {
    const created = new Set(
      [...definitions, ...variants].flatMap(({ json }) => resourceTypes(json)),
    );
    expect(Object.keys(RESOURCE_PERMISSIONS).filter((type) => !created.has(type))).toEqual([]);
  });

  it("refuses to build a policy for a resource type it does not know", () => {
    const [first] = definitions as [SynthesizedStack];
    const json = structuredClone(first.json) as { resource: Record<string, unknown> };
    json.resource.aws_instance = { stray: { instance_type: "t3.micro" } };
    expect(() => grantsFor([{ config: first.config, json }], [])).toThrow(/aws_instance/);
  });

  it("has a row for every AWS SDK command the bot sends, and none for a command it does not", () => {
    const used = sdkCommandsUsed(ROOT);
    expect(used.size).toBeGreaterThan(20);
    expect(used.has("client-s3:CreateBucketCommand")).toBe(true);
    expect([...used.keys()].filter((command) => !SDK_COMMANDS[command])).toEqual([]);
    expect(Object.keys(SDK_COMMANDS).filter((command) => !used.has(command))).toEqual([]);
  });

  it("committed files are what the generator produces (tsx app/docs/write-iam-policy.ts)", () => {
    expect(Object.keys(generated.files)).toContain(IAM_POLICY_PATH);
    for (const [path, content] of Object.entries(generated.files)) {
      expect(read(path), `${path} is stale: run tsx app/docs/write-iam-policy.ts`).toBe(content);
    }
    expect(JSON.parse(read(IAM_POLICY_PATH))).toEqual(document);
  });

  it("is valid IAM policy grammar, and the grammar check rejects what IAM would", () => {
    expect(grammarProblems(document)).toEqual([]);
    const broken = structuredClone(document) as unknown as {
      Version: string;
      Statement: Record<string, unknown>[];
    };
    broken.Version = "2008-10-17";
    (broken.Statement[0] as Record<string, unknown>).Action = ["GetCallerIdentity"];
    (broken.Statement[1] as Record<string, unknown>).Resource = "arn:aws:s3";
    (broken.Statement[2] as Record<string, unknown>).Effect = "allow";
    expect(grammarProblems(broken)).toHaveLength(4);
  });

  it("fits IAM's size limits: parts as managed policies, and says when the whole fits inline", () => {
    const parts = managedPolicyParts(document);
    // The parts and the node boundary, all managed policies of the bot's account; the parts all
    // attach to the bot's one role.
    expect(parts.length).toBeLessThanOrEqual(IAM_LIMITS.managedPoliciesPerRole);
    const readme = read("docs/iam/README.md");
    if (policySize(document) > IAM_LIMITS.roleInlinePolicies) {
      expect(readme).toContain("is larger than IAM allows of inline policy per role");
    } else {
      expect(readme).toContain("as an inline policy of the bot's role");
    }
    for (const part of parts) {
      expect(grammarProblems(part)).toEqual([]);
      expect(policySize(part)).toBeLessThanOrEqual(IAM_LIMITS.managedPolicy);
    }
    expect(parts.flatMap((part) => part.Statement)).toEqual(
      expect.arrayContaining(document.Statement),
    );
    expect(parts.flatMap((part) => part.Statement)).toHaveLength(document.Statement.length);
  });

  it("scopes IAM to the roles, instance profiles and managed policies the stack creates", () => {
    for (const { json } of [...definitions, ...variants]) {
      const resources = json.resource as Record<string, Record<string, Record<string, unknown>>>;
      for (const role of Object.values(resources.aws_iam_role ?? {})) {
        const roleArn = `arn:aws:iam::123456789012:role/${String(role.name)}`;
        expect(allows(document, "iam:CreateRole", roleArn)).toBe(true);
        expect(allows(document, "iam:PassRole", roleArn)).toBe(true);
      }
      for (const profile of Object.values(resources.aws_iam_instance_profile ?? {})) {
        const profileArn = `arn:aws:iam::123456789012:instance-profile/${String(profile.name)}`;
        expect(allows(document, "iam:CreateInstanceProfile", profileArn)).toBe(true);
      }
      const attachable = statement(document, "OnlySsmPolicy").Condition?.ArnNotEquals?.[
        "iam:PolicyARN"
      ];
      for (const attachment of Object.values(resources.aws_iam_role_policy_attachment ?? {})) {
        expect([attachable].flat()).toContain(attachment.policy_arn);
      }
      for (const secret of Object.values(resources.aws_secretsmanager_secret ?? {})) {
        const secretArn = `arn:aws:secretsmanager:eu-central-1:123456789012:secret:${String(secret.name)}-AbCdEf`;
        expect(allows(document, "secretsmanager:CreateSecret", secretArn)).toBe(true);
      }
    }
    // Nothing beyond them: not the bot's own role, not an administrator policy.
    expect(allows(document, "iam:CreateRole", "arn:aws:iam::123456789012:role/admin")).toBe(false);
    expect(allows(document, "iam:PassRole", "arn:aws:iam::123456789012:role/admin")).toBe(false);
    expect(statement(document, "PassNodeRoles").Condition).toEqual({
      StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" },
    });
  });

  it("scopes state, plans and locks to the examples' bucket, keys and table", () => {
    for (const { config } of definitions) {
      const bucket = `arn:aws:s3:::${config.state.bucket}`;
      expect(allows(document, "s3:ListBucket", bucket)).toBe(true);
      expect(allows(document, "s3:CreateBucket", bucket)).toBe(true);
      for (const key of [config.state.key, `${config.state.key}.tflock`, "plans/acme/x/pr-1/p"]) {
        expect(allows(document, "s3:PutObject", `${bucket}/${key}`)).toBe(true);
      }
      const table = `arn:aws:dynamodb:${config.state.region}:123456789012:table/${config.state.lockTable}`;
      expect(allows(document, "dynamodb:PutItem", table)).toBe(true);
      expect(allows(document, "dynamodb:CreateTable", table)).toBe(true);
    }
    expect(allows(document, "s3:PutObject", "arn:aws:s3:::acme-tfstate/other/file")).toBe(false);
    expect(allows(document, "s3:CreateBucket", "arn:aws:s3:::someone-else")).toBe(false);
    expect(allows(document, "dynamodb:PutItem", "arn:aws:dynamodb:eu-central-1:1:table/x")).toBe(
      false,
    );
  });

  it("deletes EC2, load balancer, Auto Scaling, RDS and EFS resources only when cluster-tagged", () => {
    const deletes = document.Statement.flatMap((s) =>
      s.Action.filter((a) =>
        /^(ec2|elasticloadbalancing|autoscaling|rds|elasticfilesystem):Delete(Vpc|Subnet|LoadBalancer|TargetGroup|AutoScalingGroup|DBInstance|FileSystem)$/.test(
          a,
        ),
      ).map((a) => ({ action: a, condition: s.Condition })),
    );
    expect(deletes).toHaveLength(7);
    // Each service's documented tag key (infra/facts/iam-condition-keys.json).
    const keyOf = (action: string) =>
      action.startsWith("autoscaling:")
        ? "autoscaling:ResourceTag"
        : action.startsWith("rds:")
          ? "rds:db-tag"
          : "aws:ResourceTag";
    for (const { action, condition } of deletes) {
      expect(condition, action).toEqual({
        Null: { [`${keyOf(action)}/k3s-bot/cluster`]: "false" },
      });
    }
  });

  it("puts a condition only on actions documented to honour its key, each fact with a source", () => {
    // The generator checks every conditioned statement (buildPolicy above would have thrown).
    expect(() =>
      checkConditionKeys("Ec2", ["ec2:CreateVpc"], {
        Null: { "aws:ResourceTag/k3s-bot/cluster": "false" },
      }),
    ).toThrow(/ec2:CreateVpc on aws:ResourceTag\/k3s-bot\/cluster.*condition-keys\.json/);
    // The key family must match, not only the action: rds:db-tag is not aws:ResourceTag.
    expect(() =>
      checkConditionKeys("Rds", ["rds:DeleteDBInstance"], {
        Null: { "aws:ResourceTag/k3s-bot/cluster": "false" },
      }),
    ).toThrow();
    for (const [action, fact] of Object.entries(CONDITION_KEY_FACTS)) {
      expect(fact.source, action).toMatch(/^https:\/\/docs\.(aws\.amazon\.com|amazonaws\.cn)\//);
      expect(fact.read, action).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(fact.keys.length, action).toBeGreaterThan(0);
    }
    const conditioned = document.Statement.filter((s) => s.Condition && s.Effect === "Allow");
    for (const statement of conditioned) {
      for (const action of statement.Action)
        expect(CONDITION_KEY_FACTS[action], action).toBeDefined();
    }
  });
  it("every condition key the policy uses is a verified fact, read from the Service Authorization Reference", () => {
    const used = document.Statement.filter((s) => s.Condition).flatMap((s) =>
      Object.values(s.Condition ?? {})
        .flatMap((block) => Object.keys(block))
        .filter((key) => !ALWAYS_PRESENT.has(key))
        .flatMap((key) => s.Action.map((action) => ({ sid: s.Sid, action, key }))),
    );
    expect(used.length).toBeGreaterThan(40);
    const problems = used.flatMap(({ sid, action, key }) => {
      const fact = CONDITION_KEY_FACTS[action];
      if (!fact?.keys.includes(keyPattern(key))) return [`${sid}: ${action} ${key} has no fact`];
      if (!fact.verified) return [`${sid}: ${action} ${key} is not verified`];
      if (
        !/^https:\/\/docs\.aws\.amazon\.com\/service-authorization\/latest\/reference\/list_[a-z0-9]+\.html$/.test(
          fact.source,
        )
      ) {
        return [
          `${sid}: ${action} ${key} rests on ${fact.source}, not the Service Authorization Reference`,
        ];
      }
      return [];
    });
    expect(problems).toEqual([]);
    // And the generator refuses an unverified fact, not only this test.
    const [action, fact] = Object.entries(CONDITION_KEY_FACTS)[0] as [
      string,
      { verified: boolean; keys: string[] },
    ];
    const saved = fact.verified;
    fact.verified = false;
    try {
      expect(() =>
        checkConditionKeys("Probe", [action], {
          Null: { [(fact.keys[0] as string).replace(/\$\{TagKey\}/, "k3s-bot/cluster")]: "false" },
        }),
      ).toThrow(/not verified/);
    } finally {
      fact.verified = saved;
    }
  });
});
