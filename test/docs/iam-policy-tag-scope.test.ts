/**
 * The cluster tag `k3s-bot/cluster` is the bot's scope for EC2, load balancing, Auto Scaling, RDS
 * and EFS. A scope one can tag oneself into is none: these tests play an attacker holding the
 * bot's credentials against an account's other resources (untagged, or tagged by someone else),
 * with the committed policy (docs/iam/k3s-bot-policy.json) and the IAM evaluator. They also walk
 * every call the stack and the bot make (app/docs/iam: resource-permissions.ts, sdk-commands.ts)
 * against the stack's own, tagged resources, so the scope takes nothing the stack needs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  EXAMPLE_DEFINITIONS,
  type Grant,
  grantsFor,
  loadConfigs,
  synthesizedStacks,
} from "../../app/docs/iam-policy";
import { type Decision, evaluate, type Policy, type Request } from "./iam-evaluator";

const ROOT = join(import.meta.dirname, "..", "..");
const bot = JSON.parse(
  readFileSync(join(ROOT, "docs/iam/k3s-bot-policy.json"), "utf8"),
) as Policy & { Statement: { Sid: string; Resource: string | string[]; Action: string[] }[] };

const ACCOUNT = "111122223333";
const REGION = "eu-central-1";
const TAG = "k3s-bot/cluster";
const arn = (service: string, resource: string) =>
  `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;

const asBot = (action: string, resource: string, context: Request["context"] = {}): Decision =>
  evaluate({ action, resource, context: { "aws:PrincipalAccount": ACCOUNT, ...context } }, [bot]);

/**
 * What an attacker can put in a request: any tags, ours among them. Never a resource's own tags
 * (AWS reads them from the resource) and never a `CreateAction` (AWS sets it only while it
 * authorizes the tags of a create call).
 */
const ATTACKER_REQUEST = { [`aws:RequestTag/${TAG}`]: "dev", "aws:TagKeys": [TAG] };
/** A resource of someone else's: untagged, or tagged by them. */
const FOREIGN_CONTEXTS: Record<string, Request["context"]> = {
  untagged: ATTACKER_REQUEST,
  "tagged by its owner": {
    ...ATTACKER_REQUEST,
    "aws:ResourceTag/team": "payments",
    "autoscaling:ResourceTag/team": "payments",
    "rds:db-tag/team": "payments",
    "rds:pg-tag/team": "payments",
  },
};

/** Existing resources of another team, one per resource type the bot's calls name. */
const FOREIGN = {
  ec2: [
    "security-group/sg-0f0f0f0f0f0f0f0f0",
    "vpc/vpc-0f0f0f0f0f0f0f0f0",
    "subnet/subnet-0f0f0f0f0f0f0f0f0",
    "route-table/rtb-0f0f0f0f0f0f0f0f0",
    "internet-gateway/igw-0f0f0f0f0f0f0f0f0",
    "natgateway/nat-0f0f0f0f0f0f0f0f0",
    "launch-template/lt-0f0f0f0f0f0f0f0f0",
    "vpc-flow-log/fl-0f0f0f0f0f0f0f0f0",
    "elastic-ip/eipalloc-0f0f0f0f0f0f0f0f0",
  ].map((r) => arn("ec2", r)),
  elasticloadbalancing: [
    "loadbalancer/net/payments/0f0f0f0f0f0f0f0f",
    "targetgroup/payments/0f0f0f0f0f0f0f0f",
    "listener/net/payments/0f0f0f0f0f0f0f0f/0f0f0f0f0f0f0f0f",
  ].map((r) => arn("elasticloadbalancing", r)),
  autoscaling: [arn("autoscaling", "autoScalingGroup:0f0f0f0f-0f0f:autoScalingGroupName/payments")],
  rds: ["db:payments", "subgrp:payments", "pg:payments-postgres16", "snapshot:payments-1"].map(
    (r) => arn("rds", r),
  ),
  elasticfilesystem: [arn("elasticfilesystem", "file-system/fs-0f0f0f0f0f0f0f0f0")],
};

/** Reads, by name. */
const READ = /:(Describe|Get|List)/;
/**
 * Writes the policy still allows on a foreign resource, each for a reason: creates (they make a
 * new resource; the ones below name an existing one too), and the EC2 calls on network
 * interfaces and addresses that AWS services create untagged for the stack (EFS mount targets,
 * NAT gateways). Kept as a list so that it cannot grow unnoticed.
 */
const STILL_OPEN_ON_FOREIGN = [
  // Creates: a new resource, tagged in the request; the existing one they name is not changed.
  "ec2:AllocateAddress",
  "ec2:CreateFlowLogs", // a flow log of a foreign VPC, delivered to the stack's log group
  "ec2:CreateInternetGateway",
  "ec2:CreateLaunchTemplate",
  "ec2:CreateNatGateway", // in a foreign subnet
  "ec2:CreateNetworkInterface", // in a foreign subnet (EFS mount targets need it)
  "ec2:CreateRouteTable", // in a foreign VPC, associated with nothing
  "ec2:CreateSecurityGroup", // in a foreign VPC, attached to nothing
  "ec2:CreateSubnet", // in a foreign VPC
  "ec2:CreateVpc",
  "ec2:RunInstances", // the ASG's validation of its launch template
  "elasticloadbalancing:CreateListener", // on a foreign load balancer: a new port, our targets
  "elasticloadbalancing:CreateLoadBalancer",
  "elasticloadbalancing:CreateTargetGroup",
  "autoscaling:CreateAutoScalingGroup",
  "rds:CreateDBInstance",
  "rds:CreateDBParameterGroup",
  "rds:CreateDBSnapshot", // of a foreign instance: the bot can neither share nor restore it
  "rds:CreateDBSubnetGroup",
  "elasticfilesystem:CreateFileSystem",
  // EFS creates its mount targets' interfaces, NAT gateways their addresses' associations,
  // untagged: the calls on them cannot carry the cluster tag.
  "ec2:DeleteNetworkInterface",
  "ec2:DisassociateAddress",
  "ec2:ModifyNetworkInterfaceAttribute",
  // Naming a group in ModifyDBInstance; the instance itself must carry the tag.
  "rds:ModifyDBInstance",
].sort();

const writeActions = (service: string) =>
  [
    ...new Set(
      bot.Statement.filter((s) => s.Effect === "Allow").flatMap((s) =>
        [s.Action].flat().filter((a) => a?.startsWith(`${service}:`) && !READ.test(a)),
      ),
    ),
  ].sort() as string[];

describe("an attacker with the bot's credentials and another team's resources", () => {
  it("cannot tag a foreign resource into the cluster's scope, in any service", () => {
    const tagging = [
      "ec2:CreateTags",
      "elasticloadbalancing:AddTags",
      "autoscaling:CreateOrUpdateTags",
      "rds:AddTagsToResource",
      "elasticfilesystem:TagResource",
    ];
    for (const action of tagging) {
      const service = action.split(":")[0] as keyof typeof FOREIGN;
      for (const resource of FOREIGN[service]) {
        for (const [kind, context] of Object.entries(FOREIGN_CONTEXTS)) {
          expect(asBot(action, resource, context), `${action} on ${kind} ${resource}`).not.toBe(
            "allow",
          );
        }
      }
    }
  });

  it("cannot tag the VPC's default security group, which AWS creates untagged", () => {
    const defaultGroup = arn("ec2", "security-group/sg-00000000000000000");
    expect(asBot("ec2:CreateTags", defaultGroup, ATTACKER_REQUEST)).not.toBe("allow");
    expect(asBot("ec2:RevokeSecurityGroupIngress", defaultGroup)).not.toBe("allow");
    expect(asBot("ec2:RevokeSecurityGroupEgress", defaultGroup)).not.toBe("allow");
  });

  it("cannot change, retag, close, refresh or delete a foreign resource: only creates stay open", () => {
    const open = new Set<string>();
    for (const [service, resources] of Object.entries(FOREIGN)) {
      for (const action of writeActions(service)) {
        for (const resource of resources) {
          for (const context of Object.values(FOREIGN_CONTEXTS)) {
            if (asBot(action, resource, context) === "allow") open.add(action);
          }
        }
      }
    }
    expect([...open].sort()).toEqual(STILL_OPEN_ON_FOREIGN);
  });

  it("cannot point a foreign launch template, route table or file system at itself", () => {
    const cases: [string, string][] = [
      ["ec2:CreateLaunchTemplateVersion", arn("ec2", "launch-template/lt-0f0f0f0f0f0f0f0f0")],
      ["ec2:ModifyLaunchTemplate", arn("ec2", "launch-template/lt-0f0f0f0f0f0f0f0f0")],
      ["ec2:CreateRoute", arn("ec2", "route-table/rtb-0f0f0f0f0f0f0f0f0")],
      ["ec2:ReplaceRoute", arn("ec2", "route-table/rtb-0f0f0f0f0f0f0f0f0")],
      ["elasticfilesystem:CreateMountTarget", FOREIGN.elasticfilesystem[0] as string],
      ["autoscaling:StartInstanceRefresh", FOREIGN.autoscaling[0] as string],
      ["elasticloadbalancing:ModifyListener", FOREIGN.elasticloadbalancing[2] as string],
    ];
    for (const [action, resource] of cases) {
      expect(asBot(action, resource, ATTACKER_REQUEST), action).not.toBe("allow");
    }
  });
});

describe("the stack and the bot on the cluster's own resources", () => {
  let grants: Grant[];
  beforeAll(() => {
    const { definitions, variants } = synthesizedStacks(
      loadConfigs(EXAMPLE_DEFINITIONS.map((file) => join(ROOT, file))),
    );
    grants = grantsFor(definitions, variants);
  });

  /** What AWS supplies for a resource of the stack: the default tags, on every one. */
  const OWN = {
    [`aws:ResourceTag/${TAG}`]: "dev",
    [`ec2:ResourceTag/${TAG}`]: "dev",
    [`autoscaling:ResourceTag/${TAG}`]: "dev",
    [`rds:db-tag/${TAG}`]: "dev",
    [`rds:pg-tag/${TAG}`]: "dev",
    [`aws:RequestTag/${TAG}`]: "dev",
    "aws:TagKeys": [TAG],
    "iam:PermissionsBoundary": `arn:aws:iam::${ACCOUNT}:policy/k3s-bot-node-boundary`,
    "iam:PolicyARN": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    "iam:AWSServiceName": "autoscaling.amazonaws.com",
    "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com`,
  };
  /** One create call of each service whose tagging action names it. */
  const CREATE_ACTION: Record<string, string> = {
    ec2: "CreateVpc",
    elasticloadbalancing: "CreateLoadBalancer",
    elasticfilesystem: "CreateFileSystem",
  };
  /** A concrete resource of the statement's, `*` standing for any name or id. */
  const resourceOf = (sid: string) => {
    const statement = bot.Statement.find((s) => s.Sid === sid);
    if (!statement) throw new Error(`no statement ${sid} in the committed policy`);
    const first = [statement.Resource].flat()[0] as string;
    return first === "*" ? arn("ec2", "vpc/vpc-0123456789abcdef0") : first.replaceAll("*", "x");
  };

  it("still allows every call on a resource that carries the cluster tag", () => {
    const denied: string[] = [];
    for (const { statement, actions } of grants) {
      // No role or state key is named by the examples: these statements have no resource.
      if (["AssumeClusterRoles", "StateKmsKey"].includes(statement)) continue;
      const context: Record<string, string | string[]> = {
        ...OWN,
        "iam:PassedToService":
          statement === "PassFlowLogRole" ? "vpc-flow-logs.amazonaws.com" : "ec2.amazonaws.com",
      };
      for (const action of actions) {
        // At creation there is no resource tag yet, only the create call the service names.
        const creating = statement.endsWith("TagOnCreate");
        const service = action.split(":")[0] as string;
        const request = creating
          ? {
              [`aws:RequestTag/${TAG}`]: "dev",
              [`${service}:CreateAction`]: CREATE_ACTION[service] ?? "",
            }
          : context;
        const decision = asBot(action, resourceOf(statement), request);
        if (decision !== "allow") denied.push(`${statement}: ${action} (${decision})`);
      }
    }
    expect(grants.length).toBeGreaterThan(50);
    expect(denied).toEqual([]);
  });

  it("tags each resource the stack creates in the request that creates it", () => {
    const creates = (sid: string, key: string) =>
      [bot.Statement.find((s) => s.Sid === sid)?.Condition?.StringEquals?.[key] ?? []].flat();
    const ec2Creates = creates("Ec2TagOnCreate", "ec2:CreateAction");
    // Every create call the policy grants EC2 can tag its resource at creation.
    const granted = writeActions("ec2").filter((a) =>
      /^ec2:(Create(?!Tags$)|AllocateAddress$|RunInstances$)/.test(a),
    );
    const unscopedCreates = granted.filter(
      (a) => !["ec2:CreateLaunchTemplateVersion", "ec2:CreateRoute"].includes(a),
    );
    expect(unscopedCreates.map((a) => a.slice(4)).sort()).toEqual([...ec2Creates].sort());
    const fresh = arn("ec2", "vpc/vpc-0123456789abcdef0");
    for (const create of ec2Creates) {
      expect(asBot("ec2:CreateTags", fresh, { "ec2:CreateAction": create }), create).toBe("allow");
    }
    expect(asBot("ec2:CreateTags", fresh, { "ec2:CreateAction": "CreateVolume" })).not.toBe(
      "allow",
    );
    for (const create of creates("LoadBalancingTagOnCreate", "elasticloadbalancing:CreateAction")) {
      expect(
        asBot("elasticloadbalancing:AddTags", FOREIGN.elasticloadbalancing[0] as string, {
          "elasticloadbalancing:CreateAction": create,
        }),
        create,
      ).toBe("allow");
    }
    expect(
      asBot("elasticfilesystem:TagResource", arn("elasticfilesystem", "file-system/fs-new"), {
        "elasticfilesystem:CreateAction": "CreateFileSystem",
      }),
    ).toBe("allow");
    // RDS names no create call: the stack's own names are the scope.
    for (const own of [
      "db:dev-datastore",
      "subgrp:ha-datastore",
      "pg:dev-datastore-postgres17",
      "snapshot:dev-datastore-final",
      "snapshot:k3s-bot-pre-apply-ha-datastore-20261129120000",
    ]) {
      expect(asBot("rds:AddTagsToResource", arn("rds", own), ATTACKER_REQUEST), own).toBe("allow");
    }
    expect(asBot("rds:AddTagsToResource", arn("rds", "db:dev-datastore-2"))).not.toBe("allow");
  });
});
