import { describe, expect, it } from "vitest";
import {
  CidrError,
  cidrContains,
  cidrOverlaps,
  cidrProblem,
  cidrSize,
  cidrSubnet,
  cidrsubnet,
  formatCidr,
  parseCidr,
} from "../../../infra/definition/cidr";

describe("parseCidr", () => {
  it.each([
    ["10.20.0.0/16", 16],
    ["0.0.0.0/0", 0],
    ["203.0.113.7/32", 32],
    ["255.255.255.255/32", 32],
    ["192.168.128.0/17", 17],
  ])("round-trips %s", (text, prefix) => {
    const cidr = parseCidr(text);
    expect(cidr.prefix).toBe(prefix);
    expect(formatCidr(cidr)).toBe(text);
  });

  it("keeps addresses above 128.0.0.0 unsigned", () => {
    expect(parseCidr("200.1.0.0/16").base).toBe(200 * 2 ** 24 + 1 * 2 ** 16);
  });

  it("rejects host bits with the network and the /32 it may have meant", () => {
    expect(() => parseCidr("10.20.0.1/16")).toThrow(CidrError);
    expect(cidrProblem("10.20.0.1/16")).toBe(
      "10.20.0.1/16 has host bits set; the network is 10.20.0.0/16 (or write 10.20.0.1/32 for a single address)",
    );
    expect(cidrProblem("203.0.113.7/24")).toContain("the network is 203.0.113.0/24");
  });

  it.each(["10.20.0.0", "10.20.0.256/16", "10.20.0.0/33", "10.20/16", "a.b.c.d/8", ""])(
    "rejects %j as not a CIDR block",
    (text) => {
      expect(cidrProblem(text)).toContain("is not an IPv4 CIDR block");
    },
  );

  it("has no problem with a valid block", () => {
    expect(cidrProblem("10.0.0.0/8")).toBeUndefined();
  });
});

describe("cidrContains and cidrOverlaps", () => {
  const vpc = parseCidr("10.20.0.0/16");
  it.each([
    ["10.20.0.0/16", true],
    ["10.20.255.240/28", true],
    ["10.21.0.0/24", false],
    ["10.0.0.0/8", false],
  ])("10.20.0.0/16 contains %s: %s", (inner, expected) => {
    expect(cidrContains(vpc, parseCidr(inner))).toBe(expected);
  });

  it.each([
    ["10.20.0.0/16", "10.20.5.0/24", true],
    ["10.0.0.0/8", "10.42.0.0/16", true],
    ["10.20.0.0/16", "10.21.0.0/16", false],
    ["10.20.0.0/24", "10.20.1.0/24", false],
    ["0.0.0.0/0", "192.168.0.1/32", true],
    ["255.255.255.0/24", "255.255.255.255/32", true],
  ])("%s and %s overlap: %s", (a, b, expected) => {
    expect(cidrOverlaps(parseCidr(a), parseCidr(b))).toBe(expected);
    expect(cidrOverlaps(parseCidr(b), parseCidr(a))).toBe(expected);
  });

  it("counts addresses", () => {
    expect(cidrSize(parseCidr("10.0.0.0/28"))).toBe(16);
    expect(cidrSize(parseCidr("0.0.0.0/0"))).toBe(2 ** 32);
  });
});

describe("cidrsubnet (Terraform's numbering)", () => {
  it.each([
    // Examples from the Terraform documentation of cidrsubnet.
    ["172.16.0.0/12", 4, 2, "172.18.0.0/16"],
    ["10.1.2.0/24", 4, 15, "10.1.2.240/28"],
    ["10.20.0.0/16", 3, 0, "10.20.0.0/19"],
    ["10.20.0.0/16", 3, 1, "10.20.32.0/19"],
    ["10.20.0.0/16", 3, 7, "10.20.224.0/19"],
    ["192.168.0.0/16", 8, 255, "192.168.255.0/24"],
    ["10.0.0.0/8", 0, 0, "10.0.0.0/8"],
  ])("cidrsubnet(%s, %i, %i) = %s", (prefix, newBits, netNum, expected) => {
    expect(cidrsubnet(prefix, newBits, netNum)).toBe(expected);
  });

  it("nests like the subnet plan does", () => {
    expect(cidrsubnet(cidrsubnet("10.20.0.0/16", 3, 6), 3, 2)).toBe("10.20.200.0/22");
  });

  it("refuses a subnet number that does not fit", () => {
    expect(() => cidrSubnet(parseCidr("10.20.0.0/16"), 3, 8)).toThrow("no subnet number 8");
  });

  it("refuses more than 32 prefix bits", () => {
    expect(() => cidrsubnet("10.20.0.0/30", 3, 0)).toThrow("cannot add 3 bits");
  });
});
