/** app.yml, the GitHub App manifest: parses, subscribes to exactly the handled events, explains each permission. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { HANDLED_EVENTS } from "../../app/bot/app";

const text = readFileSync(new URL("../../app.yml", import.meta.url), "utf8");
const doc = parseDocument(text);
const manifest = doc.toJS() as {
  name: string;
  url: string;
  public: boolean;
  hook_attributes?: unknown;
  redirect_url?: unknown;
  default_permissions: Record<string, string>;
  default_events: string[];
};

describe("app.yml", () => {
  it("parses as a manifest with the keys GitHub's manifest flow reads", () => {
    expect(doc.errors).toEqual([]);
    expect(manifest.name).toBe("k3s-bot");
    expect(manifest.url).toMatch(/^https:\/\//);
    // Probot's manifest flow fills these in from where it runs, and app.yml would override them.
    expect(manifest.hook_attributes).toBeUndefined();
    expect(manifest.redirect_url).toBeUndefined();
    expect(manifest.public).toBe(false);
  });

  it("subscribes to exactly the events the app registers handlers for", () => {
    const handled = [...new Set(HANDLED_EVENTS.map((event) => event.split(".")[0]))].sort();
    expect([...manifest.default_events].sort()).toEqual(handled);
  });

  it("asks for least privilege: only the permissions the bot's GitHub calls need", () => {
    expect(manifest.default_permissions).toEqual({
      issues: "write",
      pull_requests: "write",
      checks: "write",
      contents: "write",
      metadata: "read",
    });
  });

  it("says why, in a comment, for every permission", () => {
    // The block under default_permissions: each `  name: level` line follows a comment line.
    const lines = text.split("\n");
    const first = lines.indexOf("default_permissions:") + 1;
    const block = lines.slice(
      first,
      lines.findIndex((l, i) => i >= first && /^\S/.test(l)),
    );
    const permissionLines = block.filter((line) => /^ {2}\w+: \w+/.test(line));
    expect(permissionLines).toHaveLength(Object.keys(manifest.default_permissions).length);
    for (const line of permissionLines) {
      const previous = block[block.indexOf(line) - 1] ?? "";
      expect(previous, line).toMatch(/^ {2}# \S/);
    }
  });
});
