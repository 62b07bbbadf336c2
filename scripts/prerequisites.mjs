// What `npm run demo` and `npm test` need from the machine, checked before anything is
// installed or started, each missing one with how to install it. Node built-ins only: it runs
// before any dependency exists (scripts/prepare.mjs) and from the demo itself.
import { spawnSync } from "node:child_process";

/** Runs a command quietly; true when it exits 0. */
function succeeds(command, args) {
  const result = spawnSync(command, args, { stdio: "ignore", timeout: 30_000 });
  return !result.error && result.status === 0;
}

export const PREREQUISITES = [
  {
    name: "Terraform ≥ 1.11",
    // `terraform version` exits 0 on any version; the version itself is checked by the
    // stack's required_version when Terraform runs.
    check: (run) => run("terraform", ["version"]),
    hint: "install it from https://developer.hashicorp.com/terraform/install (a single binary on PATH)",
  },
  {
    name: "Python 3 with venv",
    check: (run) => run("python3", ["-m", "venv", "--help"]),
    hint: "install python3 and its venv module (Debian/Ubuntu: `sudo apt-get install python3-venv`; macOS: `brew install python`)",
  },
  {
    name: "git",
    check: (run) => run("git", ["--version"]),
    hint: "install git (Debian/Ubuntu: `sudo apt-get install git`; macOS: `xcode-select --install`)",
  },
];

/** The prerequisites that are missing; `run` is injectable for tests. */
export function missingPrerequisites(run = succeeds) {
  return PREREQUISITES.filter((prerequisite) => !prerequisite.check(run));
}

/** A message naming each missing prerequisite and how to install it. */
export function describeMissing(missing) {
  return [
    "Missing on this machine:",
    ...missing.map((prerequisite) => `  - ${prerequisite.name}: ${prerequisite.hint}`),
    "Install them and run the command again.",
  ].join("\n");
}
