// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are shell and Terraform text, not JS templates.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { renderManifests } from "../../infra/bootstrap/manifests";
import {
  CDKTF_TOKEN,
  escapeTerraformTemplate,
  interpolateLikeTerraform,
} from "../../infra/bootstrap/terraform-escape";
import { renderUserData, withoutYamlComments } from "../../infra/bootstrap/user-data";
import { ARN, DB_PASSWORD, deliveredUserData, etcdParams, haParams } from "./world";

const SCRIPT_DIR = fileURLToPath(new URL("../../infra/bootstrap/scripts/", import.meta.url));

/** EC2 rejects user data over 16 KB once base64-encoded (what base64gzip produces). */
const EC2_USER_DATA_LIMIT = 16384;
const base64GzipSize = (text: string) =>
  gzipSync(Buffer.from(text, "utf8"), { level: 9 }).toString("base64").length;

describe("Terraform escaping", () => {
  it("escapes ${ and %{ but keeps cdktf tokens", () => {
    expect(escapeTerraformTemplate('a="${HOME}" %{ if } ${TfToken[TOKEN.12]} $x')).toBe(
      'a="$${HOME}" %%{ if } ${TfToken[TOKEN.12]} $x',
    );
  });

  it("round-trips through what Terraform does", () => {
    const text = "x=${A:-} y=%{B} z=${TfToken[TOKEN.3]} $$ $PATH";
    expect(interpolateLikeTerraform(escapeTerraformTemplate(text), () => "lb.example")).toBe(
      "x=${A:-} y=%{B} z=lb.example $$ $PATH",
    );
  });

  it("refuses text that already contains an escape, and unescaped interpolations", () => {
    expect(() => escapeTerraformTemplate("echo $${x}")).toThrow(/already contains/);
    expect(() => interpolateLikeTerraform("echo ${x}", () => "")).toThrow(/unescaped/);
  });
});

describe("renderUserData", () => {
  it("ships shell scripts without their comment lines, keeping shebangs and shellcheck directives", () => {
    const delivered = new Set(
      [
        ...(["server", "agent"] as const).map((role) => deliveredUserData(role, haParams())),
        // The etcd servers' own scripts (etcd-restore.sh).
        deliveredUserData("server", etcdParams()),
      ].flatMap((text) => text.split("\n")),
    );
    const scripts = readdirSync(SCRIPT_DIR).filter((name) => name.endsWith(".sh"));
    expect(scripts).toContain("k3s-server.sh");
    for (const name of scripts) {
      const lines = readFileSync(join(SCRIPT_DIR, name), "utf8").split("\n");
      const comments = lines.filter((line) => line.trimStart().startsWith("#"));
      const kept = comments.filter((line) => /^(#!|\s*# shellcheck )/.test(line));
      expect(comments.length, name).toBeGreaterThan(kept.length);
      for (const line of comments)
        expect(delivered.has(line), `${name}: ${line}`).toBe(kept.includes(line));
      // Every other line is shipped.
      for (const line of lines.filter((l) => !comments.includes(l) && l.trim() !== "")) {
        expect(delivered.has(line), `${name}: ${line}`).toBe(true);
      }
    }
  });

  for (const role of ["server", "agent"] as const) {
    it(`${role}: contains no unescaped \${ or %{ other than cdktf tokens`, () => {
      const text = renderUserData(role, haParams());
      const withoutTokens = text.replaceAll(CDKTF_TOKEN, "");
      const withoutEscapes = withoutTokens.replaceAll("$${", "").replaceAll("%%{", "");
      expect(withoutEscapes).not.toContain("${");
      expect(withoutEscapes).not.toContain("%{");
      // The stack's tokens are passed through for Terraform to resolve.
      expect(text.match(CDKTF_TOKEN)?.length).toBeGreaterThan(0);
    });
  }

  it("keeps no secret in user data: only secret ARNs", () => {
    const server = deliveredUserData("server", haParams());
    expect(server).not.toContain(DB_PASSWORD);
    expect(server).toContain("K3S_BOT_DB_SECRET_ARN='arn:aws:secretsmanager:");
  });

  it("gives agents only what they need", () => {
    const agent = deliveredUserData("agent", haParams());
    expect(agent).toContain("/opt/k3s-bot/k3s-agent.sh");
    expect(agent).not.toContain("k3s-server.sh");
    expect(agent).not.toContain("HelmChart");
    expect(agent).not.toContain("K3S_BOT_DB_");
    expect(agent).not.toContain("K3S_BOT_KUBECONFIG_SECRET_ARN");
    // Workers get the agent token's secret, never the join (server) token's.
    expect(agent).toContain(`K3S_BOT_AGENT_TOKEN_SECRET_ARN='${ARN.agent}'`);
    expect(agent).not.toContain("K3S_BOT_JOIN_TOKEN_SECRET_ARN");
    expect(agent).not.toContain(ARN.join);
    const server = deliveredUserData("server", haParams());
    expect(server).toContain(`K3S_BOT_JOIN_TOKEN_SECRET_ARN='${ARN.join}'`);
    expect(server).toContain(`K3S_BOT_AGENT_TOKEN_SECRET_ARN='${ARN.agent}'`);
  });

  it("stays under EC2's 16 KB limit after gzip and base64 (ha example, and with embedded etcd)", () => {
    const sizes = {
      server: base64GzipSize(deliveredUserData("server", haParams())),
      etcdServer: base64GzipSize(deliveredUserData("server", etcdParams())),
      agent: base64GzipSize(deliveredUserData("agent", haParams())),
    };
    console.info(`user data, gzip+base64 bytes (ha example): ${JSON.stringify(sizes)}`);
    expect(sizes.server).toBeLessThan(EC2_USER_DATA_LIMIT);
    expect(sizes.etcdServer).toBeLessThan(EC2_USER_DATA_LIMIT);
    expect(sizes.agent).toBeLessThan(EC2_USER_DATA_LIMIT);
  });

  it("ships manifests without comments, and a parser reads the same (values and JCasC too)", () => {
    // Every block scalar, parsed again: a values file or a JCasC file inside a manifest.
    const deep = (value: unknown): unknown => {
      if (typeof value === "string" && value.includes("\n")) return deep(parseYaml(value));
      if (Array.isArray(value)) return value.map(deep);
      if (value && typeof value === "object")
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deep(v)]));
      return value;
    };
    const manifests = renderManifests(haParams());
    expect(manifests.length).toBeGreaterThan(4);
    for (const manifest of manifests) {
      const shipped = withoutYamlComments(manifest.content);
      expect(shipped).not.toMatch(/^\s*#/m);
      expect(deep(parseYaml(shipped))).toEqual(deep(parseYaml(manifest.content)));
    }
  });

  it("refuses parameter values that could break out of their quotes", () => {
    expect(() => renderUserData("agent", haParams({ clusterName: "x'; rm -rf /" }))).toThrow(
      /quote/,
    );
  });
});
