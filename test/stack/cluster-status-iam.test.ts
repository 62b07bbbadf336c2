/**
 * The servers' status reporter may write its own cluster's status parameter and nothing else in
 * SSM; workers get no SSM write at all. The parameter's ARN is exact: region, the account (taken
 * from a secret of the same stack) and the cluster's own name.
 */
import { describe, expect, it } from "vitest";
import type { PolicyDocument, PolicyStatement } from "../../infra/iam-policies";
import { exampleConfig, synthesize, type TerraformJson } from "./helpers";

function inlineStatements(json: TerraformJson, pool: string): PolicyStatement[] {
  return Object.entries(json.resource?.aws_iam_role_policy ?? {})
    .filter(([logical]) => logical.startsWith(`${pool}_`))
    .flatMap(([, policy]) => (JSON.parse(String(policy.policy)) as PolicyDocument).Statement);
}
const actions = (s: PolicyStatement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe("cluster status parameter permissions", () => {
  for (const example of ["dev", "ha"] as const) {
    const config = exampleConfig(example);
    const json = synthesize(config).json;

    it(`${example}: servers may put exactly /k3s-bot/${config.name}/status, in their region and account`, () => {
      const ssm = inlineStatements(json, "servers").filter((s) =>
        actions(s).some((a) => a.startsWith("ssm:")),
      );
      expect(ssm).toEqual([
        {
          Sid: "ClusterStatusReport",
          Effect: "Allow",
          Action: "ssm:PutParameter",
          Resource: expect.stringMatching(
            new RegExp(
              String.raw`^arn:aws:ssm:${config.region}:\$\{local\.account_id\}:parameter/k3s-bot/${config.name}/status$`,
            ),
          ),
        },
      ]);
    });

    it(`${example}: the account is the stack's own, read from its kubeconfig secret's ARN`, () => {
      const locals = Object.entries(json.locals ?? {}).filter(([name]) => name === "account_id");
      expect(locals).toEqual([
        [
          expect.any(String),
          expect.stringMatching(
            /^\$\{element\(split\(":", aws_secretsmanager_secret\.kubeconfig\.arn\), 4\)\}$/,
          ),
        ],
      ]);
    });

    it(`${example}: workers get no SSM permission of their own`, () => {
      const ssm = inlineStatements(json, "workers").filter((s) =>
        actions(s).some((a) => a.startsWith("ssm:")),
      );
      expect(ssm).toEqual([]);
    });
  }
});
