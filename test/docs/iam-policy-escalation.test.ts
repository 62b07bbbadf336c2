/**
 * An attacker holding the bot's credentials (or writing any inline policy onto a node role
 * through them) walks the committed policies: docs/iam/k3s-bot-policy.json (the bot) and
 * docs/iam/k3s-bot-node-boundary.json (the cap of every role the stack creates). Every request
 * below is one step of a known escalation path; each must be refused. The committed files are
 * read, not rebuilt, so this checks what operators actually install (iam-policy.test.ts proves
 * the files are what the generator produces).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cloudProviderControlPlanePolicy } from "../../infra/addons/aws-cloud-controller-manager";
import { efsCsiControllerPolicy } from "../../infra/addons/aws-efs-csi-driver";
import { serverSecretsPolicy, workerSecretsPolicy } from "../../infra/iam-policies";
import { type Decision, evaluate, type Policy, type Request } from "./iam-evaluator";

const ROOT = join(import.meta.dirname, "..", "..");
const readPolicy = (path: string) => JSON.parse(readFileSync(join(ROOT, path), "utf8")) as Policy;
const bot = readPolicy("docs/iam/k3s-bot-policy.json");

const ACCOUNT = "111122223333";
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/k3s-bot-node-boundary`;
const WORKER_ROLE = `arn:aws:iam::${ACCOUNT}:role/k3s-bot-dev-eu-central-1-worker`;
const SERVER_ROLE = `arn:aws:iam::${ACCOUNT}:role/k3s-bot-dev-eu-central-1-control-plane`;
const FLOW_LOG_ROLE = `arn:aws:iam::${ACCOUNT}:role/k3s-bot-dev-eu-central-1-vpc-flow-logs`;
const ADMIN_ROLE = `arn:aws:iam::${ACCOUNT}:role/admin`;
const ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess";

const asBot = (action: string, resource: string, context: Request["context"] = {}): Decision =>
  evaluate({ action, resource, context: { "aws:PrincipalAccount": ACCOUNT, ...context } }, [bot]);

describe("the bot's policy has no path to IAM administrator", () => {
  it("creates a node role only with the boundary on, never another role", () => {
    expect(asBot("iam:CreateRole", WORKER_ROLE)).not.toBe("allow");
    expect(
      asBot("iam:CreateRole", WORKER_ROLE, { "iam:PermissionsBoundary": ADMIN_POLICY }),
    ).not.toBe("allow");
    expect(asBot("iam:CreateRole", WORKER_ROLE, { "iam:PermissionsBoundary": BOUNDARY })).toBe(
      "allow",
    );
    // The boundary of another account does not count.
    const foreign = BOUNDARY.replace(ACCOUNT, "999999999999");
    expect(asBot("iam:CreateRole", WORKER_ROLE, { "iam:PermissionsBoundary": foreign })).not.toBe(
      "allow",
    );
    expect(asBot("iam:CreateRole", ADMIN_ROLE, { "iam:PermissionsBoundary": BOUNDARY })).not.toBe(
      "allow",
    );
  });

  it("writes a role's permissions only onto node roles that carry the boundary", () => {
    for (const action of [
      "iam:PutRolePolicy",
      "iam:AttachRolePolicy",
      "iam:PutRolePermissionsBoundary",
    ]) {
      for (const role of [WORKER_ROLE, SERVER_ROLE, FLOW_LOG_ROLE]) {
        expect(asBot(action, role), `${action} ${role} without boundary`).not.toBe("allow");
      }
      // A role of another prefix, even with the boundary in the request.
      expect(
        asBot(action, ADMIN_ROLE, {
          "iam:PermissionsBoundary": BOUNDARY,
          "iam:PolicyARN": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        }),
        `${action} on another prefix`,
      ).not.toBe("allow");
    }
    expect(asBot("iam:PutRolePolicy", WORKER_ROLE, { "iam:PermissionsBoundary": BOUNDARY })).toBe(
      "allow",
    );
  });

  it("attaches no managed policy but Session Manager's, and only under the boundary", () => {
    const withBoundary = { "iam:PermissionsBoundary": BOUNDARY };
    expect(
      asBot("iam:AttachRolePolicy", WORKER_ROLE, {
        ...withBoundary,
        "iam:PolicyARN": ADMIN_POLICY,
      }),
    ).not.toBe("allow");
    const ssm = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
    expect(
      asBot("iam:AttachRolePolicy", WORKER_ROLE, { ...withBoundary, "iam:PolicyARN": ssm }),
    ).toBe("allow");
    expect(asBot("iam:AttachRolePolicy", WORKER_ROLE, { "iam:PolicyARN": ssm })).not.toBe("allow");
  });

  it("never removes a boundary, never changes or deletes the boundary policy", () => {
    expect(asBot("iam:DeleteRolePermissionsBoundary", WORKER_ROLE)).toBe("explicit-deny");
    for (const action of [
      "iam:CreatePolicyVersion",
      "iam:SetDefaultPolicyVersion",
      "iam:DeletePolicy",
      "iam:DeletePolicyVersion",
    ]) {
      expect(asBot(action, BOUNDARY), action).toBe("explicit-deny");
    }
  });

  it("passes node roles only to EC2 and the flow-log role only to VPC flow logs", () => {
    const to = (service: string) => ({ "iam:PassedToService": service });
    expect(asBot("iam:PassRole", WORKER_ROLE, to("lambda.amazonaws.com"))).not.toBe("allow");
    expect(asBot("iam:PassRole", WORKER_ROLE, to("ec2.amazonaws.com"))).toBe("allow");
    expect(asBot("iam:PassRole", FLOW_LOG_ROLE, to("ec2.amazonaws.com"))).not.toBe("allow");
    expect(asBot("iam:PassRole", ADMIN_ROLE, to("ec2.amazonaws.com"))).not.toBe("allow");
  });

  it("assumes no node role and no role by name pattern", () => {
    for (const role of [
      WORKER_ROLE,
      SERVER_ROLE,
      FLOW_LOG_ROLE,
      `arn:aws:iam::${ACCOUNT}:role/k3s-bot-anything`,
    ]) {
      expect(asBot("sts:AssumeRole", role), role).not.toBe("allow");
    }
  });

  it("no IAM write reaches a role outside the node roles, whatever the request says", () => {
    const iamActions = bot.Statement.filter((s) => s.Effect === "Allow")
      .flatMap((s) => [s.Action ?? []].flat())
      .filter((a) => a.startsWith("iam:") && !/^iam:(Get|List)/.test(a));
    expect(iamActions.length).toBeGreaterThan(0);
    const lenient = {
      "iam:PermissionsBoundary": BOUNDARY,
      "iam:PolicyARN": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
      "iam:PassedToService": "ec2.amazonaws.com",
    };
    for (const action of iamActions) {
      expect(asBot(action, ADMIN_ROLE, lenient), action).not.toBe("allow");
      expect(asBot(action, `arn:aws:iam::${ACCOUNT}:user/admin`, lenient), action).not.toBe(
        "allow",
      );
    }
  });

  it("reads no cluster's secrets (kubeconfig is the operator's, with their own credentials)", () => {
    for (const name of [
      "k3s-bot/dev/kubeconfig",
      "k3s-bot/other/kubeconfig",
      "k3s-bot/dev/join-token",
    ]) {
      const secret = `arn:aws:secretsmanager:eu-central-1:${ACCOUNT}:secret:${name}-AbCdEf`;
      expect(asBot("secretsmanager:GetSecretValue", secret), name).not.toBe("allow");
    }
  });

  it("changes security groups and databases only when they carry the cluster tag", () => {
    const group = `arn:aws:ec2:eu-central-1:${ACCOUNT}:security-group/sg-0123456789abcdef0`;
    const tagged = { "aws:ResourceTag/k3s-bot/cluster": "dev" };
    expect(asBot("ec2:AuthorizeSecurityGroupIngress", group)).not.toBe("allow");
    expect(
      asBot("ec2:AuthorizeSecurityGroupIngress", group, { "aws:ResourceTag/team": "payments" }),
    ).not.toBe("allow");
    expect(asBot("ec2:AuthorizeSecurityGroupIngress", group, tagged)).toBe("allow");
    const db = `arn:aws:rds:eu-central-1:${ACCOUNT}:db:payments`;
    expect(asBot("rds:DeleteDBInstance", db)).not.toBe("allow");
    expect(asBot("rds:ModifyDBInstance", db)).not.toBe("allow");
    expect(asBot("rds:DeleteDBInstance", db, { "rds:db-tag/k3s-bot/cluster": "dev" })).toBe(
      "allow",
    );
    const asg = `arn:aws:autoscaling:eu-central-1:${ACCOUNT}:autoScalingGroup:u:autoScalingGroupName/x`;
    expect(asBot("autoscaling:UpdateAutoScalingGroup", asg)).not.toBe("allow");
    expect(asBot("autoscaling:DeleteAutoScalingGroup", asg)).not.toBe("allow");
  });
});

describe("the node boundary caps any role the bot can create", () => {
  const boundary = readPolicy("docs/iam/k3s-bot-node-boundary.json");
  /** The attacker's best case: the bot wrote `Allow *:*` as the role's inline policy. */
  const admin: Policy = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
  };
  const asNode = (action: string, resource: string, cluster: string | null = "dev") =>
    evaluate(
      {
        action,
        resource,
        context: {
          "aws:PrincipalAccount": ACCOUNT,
          ...(cluster ? { "aws:PrincipalTag/k3s-bot/cluster": cluster } : {}),
        },
      },
      [admin],
      boundary,
    );
  const secret = (name: string) =>
    `arn:aws:secretsmanager:eu-central-1:${ACCOUNT}:secret:${name}-AbCdEf`;

  it("allows no IAM but the load balancers' service-linked role, and no role assumption", () => {
    for (const action of [
      "iam:CreateRole",
      "iam:PutRolePolicy",
      "iam:AttachRolePolicy",
      "iam:PassRole",
      "iam:CreateUser",
      "iam:CreateAccessKey",
      "iam:DeleteRolePermissionsBoundary",
      "iam:CreatePolicyVersion",
    ]) {
      expect(asNode(action, "*"), action).not.toBe("allow");
      expect(asNode(action, ADMIN_ROLE), action).not.toBe("allow");
    }
    for (const role of [ADMIN_ROLE, WORKER_ROLE, SERVER_ROLE]) {
      expect(asNode("sts:AssumeRole", role), role).not.toBe("allow");
    }
    const slr = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/x`;
    expect(
      evaluate(
        {
          action: "iam:CreateServiceLinkedRole",
          resource: slr,
          context: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" },
        },
        [admin],
        boundary,
      ),
    ).toBe("allow");
    expect(
      evaluate(
        {
          action: "iam:CreateServiceLinkedRole",
          resource: slr,
          context: { "iam:AWSServiceName": "rds.amazonaws.com" },
        },
        [admin],
        boundary,
      ),
    ).not.toBe("allow");
  });

  it("reads secrets only under its own cluster's prefix", () => {
    expect(asNode("secretsmanager:GetSecretValue", secret("k3s-bot/dev/join-token"))).toBe("allow");
    expect(asNode("secretsmanager:GetSecretValue", secret("k3s-bot/ha/kubeconfig"))).not.toBe(
      "allow",
    );
    expect(asNode("secretsmanager:GetSecretValue", secret("prod/db-password"))).not.toBe("allow");
    // A role without the cluster tag reads none.
    expect(
      asNode("secretsmanager:GetSecretValue", secret("k3s-bot/dev/join-token"), null),
    ).not.toBe("allow");
    expect(asNode("secretsmanager:CreateSecret", secret("k3s-bot/dev/x"))).not.toBe("allow");
  });

  it("still allows what the nodes' own policies grant", () => {
    const own = [
      cloudProviderControlPlanePolicy(),
      efsCsiControllerPolicy(),
      serverSecretsPolicy({
        joinTokenArn: secret("k3s-bot/dev/join-token"),
        agentTokenArn: secret("k3s-bot/dev/agent-token"),
        kubeconfigArn: secret("k3s-bot/dev/kubeconfig"),
      }),
      workerSecretsPolicy(secret("k3s-bot/dev/agent-token")),
    ];
    for (const policy of own) {
      for (const statement of policy.Statement) {
        for (const action of [statement.Action].flat()) {
          for (const resource of [statement.Resource ?? "*"].flat()) {
            const context: Record<string, string> = {
              "aws:PrincipalAccount": ACCOUNT,
              "aws:PrincipalTag/k3s-bot/cluster": "dev",
              "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com",
            };
            const target =
              action === "iam:CreateServiceLinkedRole"
                ? `arn:aws:iam::${ACCOUNT}:role/aws-service-role/x`
                : resource;
            expect(
              evaluate({ action, resource: target, context }, [admin], boundary),
              `${action} on ${target}`,
            ).toBe("allow");
          }
        }
      }
    }
  });
});

describe("the evaluator", () => {
  it("applies Deny over Allow, NotAction, variables and the boundary intersection", () => {
    const policy: Policy = {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", NotAction: "iam:*", Resource: "*" },
        { Effect: "Deny", Action: "s3:DeleteBucket", Resource: "*" },
        {
          Effect: "Allow",
          Action: "iam:GetRole",
          Resource: `arn:aws:iam::\${aws:PrincipalAccount}:role/*`,
          Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["a"] } },
        },
      ],
    };
    const ctx = { "aws:PrincipalAccount": ACCOUNT };
    expect(evaluate({ action: "ec2:RunInstances", resource: "*" }, [policy])).toBe("allow");
    expect(evaluate({ action: "s3:DeleteBucket", resource: "*" }, [policy])).toBe("explicit-deny");
    expect(evaluate({ action: "iam:CreateRole", resource: "*" }, [policy])).toBe("implicit-deny");
    expect(evaluate({ action: "iam:GetRole", resource: ADMIN_ROLE, context: ctx }, [policy])).toBe(
      "allow",
    );
    expect(evaluate({ action: "iam:GetRole", resource: ADMIN_ROLE }, [policy])).toBe(
      "implicit-deny",
    );
    expect(
      evaluate(
        {
          action: "iam:GetRole",
          resource: ADMIN_ROLE,
          context: { ...ctx, "aws:TagKeys": ["a", "b"] },
        },
        [policy],
      ),
    ).toBe("implicit-deny");
    const cap: Policy = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "ec2:Describe*", Resource: "*" }],
    };
    expect(evaluate({ action: "ec2:RunInstances", resource: "*" }, [policy], cap)).toBe(
      "implicit-deny",
    );
    expect(evaluate({ action: "ec2:DescribeVpcs", resource: "*" }, [policy], cap)).toBe("allow");
  });
});
