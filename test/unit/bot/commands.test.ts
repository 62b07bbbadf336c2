import { describe, expect, it } from "vitest";
import { parseComment } from "../../../app/bot/commands";

// Table-driven, as Atlantis' comment_parser_test: each comment and what the bot makes of it.
type Expectation =
  | { ignore: true }
  | { kind: string; clusters: string[]; overrides: string[] }
  | { error: RegExp };

const cases: Array<[string, Expectation]> = [
  ["", { ignore: true }],
  ["lgtm", { ignore: true }],
  ["please run /k3s plan", { ignore: true }],
  ["/k3splan", { ignore: true }],
  ["> /k3s apply", { ignore: true }],
  ["`/k3s plan`", { ignore: true }],
  ["/k3s plan", { kind: "plan", clusters: [], overrides: [] }],
  ["  /k3s   plan   ", { kind: "plan", clusters: [], overrides: [] }],
  ["/k3s plan dev", { kind: "plan", clusters: ["dev"], overrides: [] }],
  ["/k3s plan dev prod dev", { kind: "plan", clusters: ["dev", "prod"], overrides: [] }],
  ["/k3s apply dev\nthanks!\n/k3s apply prod", { kind: "apply", clusters: ["dev"], overrides: [] }],
  ["/k3s apply\r\nsecond line", { kind: "apply", clusters: [], overrides: [] }],
  ["/k3s unlock dev", { kind: "unlock", clusters: ["dev"], overrides: [] }],
  ["/k3s help", { kind: "help", clusters: [], overrides: [] }],
  [
    "/k3s apply --override-guardrail maxWorkers prod --override-guardrail=requiredTags",
    { kind: "apply", clusters: ["prod"], overrides: ["maxWorkers", "requiredTags"] },
  ],
  ["/k3s", { error: /k3s-bot commands/ }],
  ["/k3s paln", { error: /did you mean `\/k3s plan`/ }],
  ["/k3s Plan", { error: /did you mean `\/k3s plan`/ }],
  ["/k3s aply", { error: /did you mean `\/k3s apply`/ }],
  ["/k3s unlok dev", { error: /did you mean `\/k3s unlock`/ }],
  ["/k3s destroy", { error: /`destroy` is not a command/ }],
  ["/k3s terraform plan", { error: /runs Terraform for you: did you mean `\/k3s plan`/ }],
  ["/k3s plan -h", { error: /`\/k3s plan`: plan the named clusters/ }],
  ["/k3s apply --help", { error: /`\/k3s apply`: apply the plan/ }],
  ["/k3s plan --target=aws_vpc.main", { error: /`--target=aws_vpc.main` is not an option/ }],
  ["/k3s plan -- -destroy", { error: /`--` is not an option/ }],
  // Only apply takes the override, and only with a guardrail id from the fixed list.
  [
    "/k3s plan --override-guardrail maxWorkers",
    { error: /`--override-guardrail` is not an option/ },
  ],
  ["/k3s apply --override-guardrail", { error: /takes a guardrail id, one of `accounts`/ }],
  ["/k3s apply --override-guardrail=all", { error: /takes a guardrail id.*found `all`/ }],
  ["/k3s plan ../etc/passwd", { error: /is not a cluster name/ }],
  ["/k3s plan dev;rm", { error: /is not a cluster name/ }],
  ["/k3s plan $(whoami)", { error: /is not a cluster name/ }],
  ["/k3s plan Dev", { error: /is not a cluster name/ }],
  ["/k3s plan clusters/dev.yaml", { error: /is not a cluster name/ }],
  ["/k3s plan d`e`v", { error: /'e'/ }],
  ["/k3s help me", { error: /k3s-bot commands/ }],
  [
    `/k3s plan ${Array.from({ length: 21 }, (_, i) => `c${i}x`).join(" ")}`,
    { error: /At most 20 clusters/ },
  ],
];

describe("parseComment", () => {
  it.each(cases)("%j", (comment, expected) => {
    const result = parseComment(comment);
    if ("ignore" in expected) {
      expect(result).toEqual({ type: "ignore" });
    } else if ("error" in expected) {
      expect(result.type).toBe("error");
      if (result.type === "error") expect(result.reply).toMatch(expected.error);
    } else {
      expect(result).toEqual({ type: "command", command: expected });
    }
  });
});
