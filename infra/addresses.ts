/**
 * Terraform addresses of the stack's resources (docs/architecture.md, "Resource addresses").
 *
 * Every resource is named by the construct that creates it, `aws_autoscaling_group.workers`
 * rather than cdktf's default `compute_worker-group_17FFA11D`: a reviewer reads the plan by
 * these names, and a name that does not depend on the construct tree survives refactoring.
 *
 * How cdktf 0.21.0 names things (node_modules/cdktf/lib/, cdktf 0.21.0):
 * - `terraform-element.js`: `friendlyUniqueId` is the override set by `overrideLogicalId`, or
 *   else `TerraformStack.getLogicalId` → `allocateLogicalId` (`terraform-stack.js`), which
 *   hashes the construct path below the stack with `makeUniqueId` (`private/unique.js`).
 *   The id is read, and cached, the first time anything references the resource (`.id`,
 *   `.arn`…), and `overrideLogicalId` asserts it has not been: name a resource right after
 *   `new`, before passing it on.
 * - `terraform-resource.js`: `moveFromId(address)` keeps the resource and adds
 *   `moved { from = address, to = <this resource> }` to the synthesized JSON (`moveToId`
 *   and `moveTo` instead drop the resource, they are for the old side of a move). A resource
 *   carries at most one such move.
 */
import { type TerraformElement, type TerraformResource, TerraformStack } from "cdktf";
// Not re-exported by the package root; the package has no "exports" map, so the path resolves.
import { makeUniqueId } from "cdktf/lib/private/unique";
import type { Node } from "constructs";

/** snake_case: letters, digits and underscores, starting with a letter. */
const READABLE_NAME = /^[a-z][a-z0-9_]*$/;

/** `eu-central-1a` → `eu_central_1a`: a zone, index or port as part of a name. */
export function namePart(value: string | number): string {
  return String(value)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_");
}

/**
 * Gives `resource` its address name. Call it right after `new`: cdktf fixes the name the first
 * time the resource is referenced. Names are unique per resource type within the stack.
 */
export function named<T extends TerraformResource>(resource: T, name: string): T {
  if (!READABLE_NAME.test(name)) {
    throw new Error(`${resource.node.path}: address name "${name}" is not snake_case`);
  }
  resource.overrideLogicalId(name);
  return resource;
}

/**
 * The logical id cdktf 0.21.0 gave a resource by default: its construct path below the stack,
 * hashed by cdktf's own `makeUniqueId` (see the header). The stack's former addresses are
 * computed with it, so they cannot drift from what cdktf wrote into applied states.
 */
export function hashedLogicalId(pathBelowStack: readonly string[]): string {
  return makeUniqueId([...pathBelowStack]);
}

/**
 * A stack whose resources must all be named with `named()`: cdktf asks the stack for a logical
 * id only for an element that has none, and for a resource that is a mistake (its address
 * would be a hash. Other elements keep cdktf's default (outputs name themselves by their
 * construct id; locals are not in the state, the stack names its own anyway).
 */
export abstract class ReadablyAddressedStack extends TerraformStack {
  protected override allocateLogicalId(element: TerraformElement | Node): string {
    const type = (element as Partial<TerraformResource>).terraformResourceType;
    if (type !== undefined) {
      const path = "node" in element ? element.node.path : element.path;
      throw new Error(
        `${path} (${type}) has no readable address: name it with named() from infra/addresses.ts right after creating it`,
      );
    }
    return super.allocateLogicalId(element);
  }
}
