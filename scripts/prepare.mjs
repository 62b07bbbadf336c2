// Runs before `npm test` and `npm run demo` (npm's pretest/predemo), so that the README's two
// quick-start commands work on a fresh clone: installs the npm dependencies when
// node_modules is missing or older than package-lock.json, then the pinned local tools (the
// moto AWS emulator and shellcheck, scripts/setup-moto.sh; a no-op when already installed).
// Node built-ins only: it runs before any dependency exists.
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describeMissing, missingPrerequisites } from "./prerequisites.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

function run(command, args) {
  process.stderr.write(`prepare: ${command} ${args.join(" ")}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.error || result.status !== 0) {
    process.stderr.write(
      `prepare: \`${command} ${args.join(" ")}\` failed${result.error ? ` (${result.error.message})` : ""}; fix that and run the command again\n`,
    );
    process.exit(1);
  }
}

// Before installing anything: a missing tool is named with how to get it, not found half-way.
const missing = missingPrerequisites();
if (missing.length > 0) {
  process.stderr.write(`prepare: ${describeMissing(missing)}\n`);
  process.exit(1);
}

// npm ci writes node_modules/.package-lock.json; older than the lock file means stale.
const installed = mtime(join(root, "node_modules", ".package-lock.json"));
const locked = mtime(join(root, "package-lock.json"));
if (installed === null || (locked !== null && locked > installed)) {
  run("npm", ["ci", "--no-audit", "--no-fund"]);
}
run("bash", [join("scripts", "setup-moto.sh")]);
