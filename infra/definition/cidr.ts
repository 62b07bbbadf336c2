/**
 * Small IPv4 CIDR arithmetic for the definition rules and the subnet plan: parse, contains,
 * overlaps and `cidrsubnet` (the same numbering as Terraform's function, so a subnet the plan
 * shows can be checked against the Terraform docs by hand). Addresses are unsigned 32-bit
 * integers; `>>> 0` keeps them unsigned after bitwise operations.
 */

export interface Cidr {
  /** The network address as an unsigned 32-bit integer (host bits are zero). */
  readonly base: number;
  /** Prefix length, 0 to 32. */
  readonly prefix: number;
}

/** Thrown for text that is not an IPv4 CIDR block, or one with host bits set. */
export class CidrError extends Error {
  override name = "CidrError";
}

const CIDR_TEXT = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function prefixMask(prefix: number): number {
  // `<< 32` is a no-op in JavaScript, so /0 needs its own case.
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function formatAddress(address: number): string {
  return [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join(".");
}

/** Parses `a.b.c.d/n` without judging host bits; throws CidrError on anything else. */
function parseAddressAndPrefix(text: string): { address: number; prefix: number } {
  const match = CIDR_TEXT.exec(text.trim());
  const parts = match?.slice(1).map(Number);
  if (!parts || parts.slice(0, 4).some((octet) => octet > 255) || (parts[4] ?? 33) > 32) {
    throw new CidrError(`${text} is not an IPv4 CIDR block such as 10.20.0.0/16`);
  }
  const [a = 0, b = 0, c = 0, d = 0, prefix = 0] = parts;
  return { address: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0, prefix };
}

/**
 * Parses an IPv4 CIDR block. Host bits must be zero: `10.20.0.1/16` is more often a typo for
 * a /32 or for `10.20.0.0/16` than a deliberate choice, and AWS rejects it for VPCs and subnets.
 */
export function parseCidr(text: string): Cidr {
  const { address, prefix } = parseAddressAndPrefix(text);
  const base = (address & prefixMask(prefix)) >>> 0;
  if (base !== address) {
    throw new CidrError(
      `${text} has host bits set; the network is ${formatAddress(base)}/${prefix}` +
        (prefix < 32 ? ` (or write ${formatAddress(address)}/32 for a single address)` : ""),
    );
  }
  return { base, prefix };
}

/** Why `text` is not a usable CIDR block, or undefined when it is. */
export function cidrProblem(text: string): string | undefined {
  try {
    parseCidr(text);
    return undefined;
  } catch (error) {
    if (error instanceof CidrError) return error.message;
    throw error;
  }
}

export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr.base)}/${cidr.prefix}`;
}

/** Number of addresses in the block. */
export function cidrSize(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

/** The last address of the block. */
function lastAddress(cidr: Cidr): number {
  return cidr.base + cidrSize(cidr) - 1;
}

/** Whether `inner` lies entirely inside `outer` (a block contains itself). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return (
    inner.prefix >= outer.prefix &&
    inner.base >= outer.base &&
    lastAddress(inner) <= lastAddress(outer)
  );
}

/** Whether the two blocks share at least one address. */
export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  return a.base <= lastAddress(b) && b.base <= lastAddress(a);
}

/**
 * Terraform's `cidrsubnet(prefix, newbits, netnum)`: the `netnum`-th block of `newbits` more
 * prefix bits inside `cidr`. cidrSubnet(10.20.0.0/16, 3, 1) = 10.20.32.0/19.
 */
export function cidrSubnet(cidr: Cidr, newBits: number, netNum: number): Cidr {
  const prefix = cidr.prefix + newBits;
  if (!Number.isInteger(newBits) || newBits < 0 || prefix > 32) {
    throw new CidrError(
      `cannot add ${newBits} bits to the /${cidr.prefix} prefix of ${formatCidr(cidr)}`,
    );
  }
  if (!Number.isInteger(netNum) || netNum < 0 || netNum >= 2 ** newBits) {
    throw new CidrError(
      `${formatCidr(cidr)} has no subnet number ${netNum} with ${newBits} new bits`,
    );
  }
  return { base: cidr.base + netNum * 2 ** (32 - prefix), prefix };
}

/** `cidrSubnet` on text, for call sites (and tests) that read like the Terraform they mirror. */
export function cidrsubnet(cidr: string, newBits: number, netNum: number): string {
  return formatCidr(cidrSubnet(parseCidr(cidr), newBits, netNum));
}
