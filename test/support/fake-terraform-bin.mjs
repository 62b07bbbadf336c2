#!/usr/bin/env node
// Stands in for terraform in tests that are about the bot, not Terraform: it answers the commands
// the engine runs (version, init, plan, show, apply, output) in a few milliseconds and records
// every invocation (argv, environment, working directory, start and end in ms) as JSON lines in
// $FAKE_TF_LOG, one "start" line when it begins and one "end" line when it finishes, so a test
// can check what reached a child process and how many ran at once.
//   FAKE_TF_PLAN_MS   milliseconds a plan takes (default 0)
//   FAKE_TF_APPLY     "hang": apply never finishes (until killed); "fail": apply exits 1
//   FAKE_TF_SHOW_JSON what `show -json` prints (default: the plan above, one VPC to create)
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";

const args = process.argv.slice(2);
const log = process.env.FAKE_TF_LOG;
const started = Date.now();
const record = (event, extra = {}) => {
  if (!log) return;
  appendFileSync(
    log,
    `${JSON.stringify({ event, pid: process.pid, cwd: process.cwd(), args, env: process.env, start: started, at: Date.now(), ...extra })}\n`,
  );
};
const finish = (code, stdout = "", stderr = "") => {
  if (stdout) process.stdout.write(stdout);
  if (stderr) process.stderr.write(stderr);
  record("end", { code });
  process.exitCode = code;
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

record("start");
const command = args[0] ?? "";
const PLAN_TEXT = [
  "Terraform used the selected providers to generate the following execution plan. Resource",
  "actions are indicated with the following symbols:",
  "  + create",
  "",
  "Terraform will perform the following actions:",
  "",
  "  # aws_vpc.main will be created",
  '  + resource "aws_vpc" "main" {',
  '      + cidr_block = "10.40.0.0/16"',
  "    }",
  "",
  "Plan: 1 to add, 0 to change, 0 to destroy.",
  "",
].join("\n");

switch (command) {
  case "version":
    finish(0, `${JSON.stringify({ terraform_version: "1.11.4" })}\n`);
    break;
  case "init":
    mkdirSync(".terraform", { recursive: true });
    writeFileSync(".terraform.lock.hcl", "# fake terraform lock file\n");
    finish(0, "Terraform has been successfully initialized!\n");
    break;
  case "plan": {
    const out = args.find((a) => a.startsWith("-out="))?.slice(5);
    await sleep(Number(process.env.FAKE_TF_PLAN_MS ?? 0));
    if (out) writeFileSync(out, `fake plan ${started} ${process.pid}\n`);
    finish(2, PLAN_TEXT);
    break;
  }
  case "apply":
    if (process.env.FAKE_TF_APPLY === "hang") {
      record("hanging");
      setInterval(() => {}, 60_000);
      break;
    }
    if (process.env.FAKE_TF_APPLY === "fail") {
      finish(1, "", "Error: creating EC2 VPC: api error\n");
      break;
    }
    finish(0, "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.\n");
    break;
  case "show":
    if (args.includes("-json")) {
      const plan = {
        format_version: "1.2",
        terraform_version: "1.11.4",
        resource_changes: [
          {
            address: "aws_vpc.main",
            type: "aws_vpc",
            mode: "managed",
            change: { actions: ["create"] },
          },
        ],
      };
      finish(0, `${process.env.FAKE_TF_SHOW_JSON ?? JSON.stringify(plan)}\n`);
    } else finish(0, PLAN_TEXT);
    break;
  case "output":
    finish(0, "{}\n");
    break;
  default:
    finish(0);
}
