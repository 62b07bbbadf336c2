// Runs before `npm test` and `npm run demo` (npm's pretest/predemo), so that the README's two
// quick-start commands work on a fresh clone: installs the npm dependencies when
// node_modules is missing or older than package-lock.json, then the pinned local tools (the
// moto AWS emulator and shellcheck, scripts/setup-moto.sh; checkov, scripts/setup-checkov.sh;
// each a no-op when already installed).
// Node built-ins only, and no syntax newer than Node 18: it runs before any dependency exists,
// on whatever Node the machine has.
//
// The project runs on Node 24. A machine whose own Node is older still works: the lock file
// carries Node 24 as an optional package for Linux (package.json, optionalDependencies), npm
// links it as node_modules/.bin/node, and npm puts that folder first on PATH for every script,
// so `npm test` and `npm run demo` run on it. npm itself then runs on the older Node and warns
// EBADENGINE for each package that asks for a newer one; those warnings are summed up here.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describeMissing, missingPrerequisites } from "./prerequisites.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const REQUIRED_MAJOR = 24;
const machineMajor = Number(process.versions.node.split(".")[0]);

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

function fail(message) {
  process.stderr.write(`prepare: ${message}\n`);
  process.exit(1);
}

function run(command, args, { quietEngineWarnings = false } = {}) {
  process.stderr.write(`prepare: ${command} ${args.join(" ")}\n`);
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: ["inherit", "inherit", quietEngineWarnings ? "pipe" : "inherit"],
    encoding: "utf8",
  });
  if (quietEngineWarnings && typeof result.stderr === "string") {
    const lines = result.stderr.split("\n");
    const engine = lines.filter((line) => line.startsWith("npm warn EBADENGINE"));
    const packages = engine.filter((line) => line.includes("package:")).length;
    process.stderr.write(
      lines.filter((line) => !line.startsWith("npm warn EBADENGINE")).join("\n"),
    );
    if (packages > 0) {
      process.stderr.write(
        `prepare: npm runs on Node ${process.versions.node} here and warned that ${packages} package(s) ask for a newer Node; the project runs them on Node ${REQUIRED_MAJOR} (node_modules/.bin/node)\n`,
      );
    }
  }
  if (result.error || result.status !== 0) {
    fail(
      `\`${command} ${args.join(" ")}\` failed${result.error ? ` (${result.error.message})` : ""}; fix that and run the command again`,
    );
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
  run("npm", ["ci", "--no-audit", "--no-fund"], {
    quietEngineWarnings: machineMajor < REQUIRED_MAJOR,
  });
}
if (machineMajor < REQUIRED_MAJOR && !existsSync(join(root, "node_modules", ".bin", "node"))) {
  fail(
    `this project needs Node.js ${REQUIRED_MAJOR} or newer; this machine has ${process.versions.node} and npm installed no Node ${REQUIRED_MAJOR} for ${process.platform}-${process.arch} (the bundled one is for Linux x64 and arm64). Install Node.js ${REQUIRED_MAJOR} (https://nodejs.org, or nvm install ${REQUIRED_MAJOR}) and run the command again.`,
  );
}
run("bash", [join("scripts", "setup-moto.sh")]);
// checkov only for the tests (`prepare.mjs test`): the demo does not need it.
if (process.argv.includes("test")) run("bash", [join("scripts", "setup-checkov.sh")]);
