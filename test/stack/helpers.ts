/**
 * Builds the stack from the example definitions and hands tests the synthesized Terraform JSON.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { parse } from "yaml";
import type { ClusterConfig } from "../../infra/definition/config";
import { resolveCluster } from "../../infra/definition/resolve";
import { ClusterDefinitionSchema } from "../../infra/definition/schema";
import { K3sClusterStack, type StackOptions } from "../../infra/stack";

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples", "clusters");

/** A resolved example (`dev` or `ha`), with `change` applied to a copy. */
export function exampleConfig(
  example: "dev" | "ha",
  change: (config: ClusterConfig) => void = () => {},
): ClusterConfig {
  const definition = ClusterDefinitionSchema.parse(
    parse(readFileSync(join(EXAMPLES, `${example}.yaml`), "utf8")),
  );
  const config = structuredClone(resolveCluster(definition));
  change(config);
  return config;
}

export interface Resource {
  [argument: string]: unknown;
}

export interface TerraformJson {
  terraform: { backend?: Record<string, Record<string, unknown>> } & Record<string, unknown>;
  provider: { aws: Record<string, unknown>[] };
  resource?: Record<string, Record<string, Resource>>;
  data?: Record<string, unknown>;
  locals?: Record<string, unknown>;
  output?: Record<string, { value: unknown; description?: string }>;
  moved?: { from: string; to: string }[];
}

export interface Synthesized {
  stack: K3sClusterStack;
  json: TerraformJson;
  text: string;
}

/** Where Argo CD would read the cluster's manifests; the definition does not say. */
export const TEST_GITOPS = {
  repoUrl: "https://github.com/acme/platform.git",
  path: "clusters/dev/argocd",
  revision: "main",
};

export function synthesize(config: ClusterConfig, options: StackOptions = {}): Synthesized {
  const app = Testing.app();
  const stack = new K3sClusterStack(app, config.name, config, {
    bootstrap: { gitops: TEST_GITOPS },
    ...options,
  });
  const text = Testing.synth(stack);
  return { stack, json: JSON.parse(text) as TerraformJson, text };
}

/** Every resource of a type, by logical name. */
export function resourcesOf(json: TerraformJson, type: string): Record<string, Resource> {
  return json.resource?.[type] ?? {};
}

export function listOf(json: TerraformJson, type: string): Resource[] {
  return Object.values(resourcesOf(json, type));
}

/** A Terraform reference as cdktf writes it into an argument: `ref("aws_vpc.main.id")`. */
export function ref(expression: string): string {
  return `\${${expression}}`;
}

/** The resource at a Terraform address such as `aws_autoscaling_group.workers`. */
export function resourceAt(json: TerraformJson, address: string): Resource {
  const dot = address.indexOf(".");
  const resource = resourcesOf(json, address.slice(0, dot))[address.slice(dot + 1)];
  if (!resource) throw new Error(`no resource at ${address}`);
  return resource;
}

/** The one resource of a type whose logical name contains `fragment`. */
export function oneOf(json: TerraformJson, type: string, fragment: string): Resource {
  const matches = Object.entries(resourcesOf(json, type)).filter(([name]) =>
    name.includes(fragment),
  );
  if (matches.length !== 1) {
    throw new Error(`expected one ${type} named like ${fragment}, found ${matches.length}`);
  }
  return (matches[0] as [string, Resource])[1];
}

/** `${aws_security_group.<name>.id}` → the logical name of the referenced resource. */
export function referencedName(reference: unknown): string | undefined {
  return /^\$\{[a-z0-9_]+\.([^.]+)\.[a-z_]+\}$/.exec(String(reference))?.[1];
}

/** Logical name of the security group whose `name` is `<cluster>-<what>`. */
export function securityGroupLogicalName(json: TerraformJson, groupName: string): string {
  const entry = Object.entries(resourcesOf(json, "aws_security_group")).find(
    ([, group]) => group.name === groupName,
  );
  if (!entry) throw new Error(`no security group named ${groupName}`);
  return entry[0];
}

export function countResources(json: TerraformJson): number {
  return Object.values(json.resource ?? {}).reduce(
    (sum, byName) => sum + Object.keys(byName).length,
    0,
  );
}

/** An ingress or egress rule, with groups named by their `name` (e.g. `dev-control-plane`). */
export interface Rule {
  group: string;
  /** `cidr:<block>`, `sg:<group name>` or `eip:<logical name of the NAT EIP>`. */
  peer: string;
  protocol: string;
  fromPort: number | undefined;
  toPort: number | undefined;
  description: string;
}

function groupNamesByLogicalName(json: TerraformJson): Map<string, string> {
  return new Map(
    Object.entries(resourcesOf(json, "aws_security_group")).map(([logical, group]) => [
      logical,
      String(group.name),
    ]),
  );
}

function rulesOf(json: TerraformJson, type: string): Rule[] {
  const names = groupNamesByLogicalName(json);
  const groupName = (reference: unknown) => {
    const logical = referencedName(reference);
    const name = logical ? names.get(logical) : undefined;
    if (!name) throw new Error(`rule refers to unknown group ${String(reference)}`);
    return name;
  };
  return listOf(json, type).map((rule) => {
    let peer: string;
    if (rule.referenced_security_group_id !== undefined) {
      peer = `sg:${groupName(rule.referenced_security_group_id)}`;
    } else {
      const cidr = String(rule.cidr_ipv4);
      const eip = /^\$\{aws_eip\.([^.]+)\.public_ip\}\/32$/.exec(cidr);
      peer = eip ? `eip:${eip[1]}` : `cidr:${cidr}`;
    }
    return {
      group: groupName(rule.security_group_id),
      peer,
      protocol: String(rule.ip_protocol),
      fromPort: rule.from_port as number | undefined,
      toPort: rule.to_port as number | undefined,
      description: String(rule.description ?? ""),
    };
  });
}

export function ingressRules(json: TerraformJson): Rule[] {
  return rulesOf(json, "aws_vpc_security_group_ingress_rule");
}

export function egressRules(json: TerraformJson): Rule[] {
  return rulesOf(json, "aws_vpc_security_group_egress_rule");
}

/** Whether a rule's port range covers `port` (protocol -1 covers every port). */
export function coversPort(rule: Rule, port: number): boolean {
  if (rule.protocol === "-1") return true;
  return (rule.fromPort ?? 0) <= port && port <= (rule.toPort ?? 65535);
}
