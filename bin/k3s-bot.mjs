#!/usr/bin/env node
// The `k3s-bot` command: loads the TypeScript sources through tsx (no build step to forget).
// It needs Node 24. Run as `node bin/k3s-bot.mjs` on a machine whose own Node is older, it
// re-runs itself on the Node 24 that `npm ci` installed (node_modules/.bin/node; see
// scripts/prepare.mjs), so the command works the same from any shell.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const REQUIRED_MAJOR = 24;
if (Number(process.versions.node.split(".")[0]) < REQUIRED_MAJOR) {
  const bundled = fileURLToPath(new URL("../node_modules/.bin/node", import.meta.url));
  if (!existsSync(bundled)) {
    process.stderr.write(
      `k3s-bot needs Node.js ${REQUIRED_MAJOR} or newer (this is ${process.versions.node}). Install it, or run \`npm ci\` in the k3s-bot checkout on Linux to get the bundled one.\n`,
    );
    process.exit(1);
  }
  const self = fileURLToPath(import.meta.url);
  const result = spawnSync(bundled, [self, ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(result.status ?? 1);
}

const { register } = await import("tsx/esm/api");
register();
// The AWS SDK's notice that its releases after January 2027 need Node 22 concerns future
// versions only (package-lock.json pins ones that support this Node); it would interleave with
// the command's own output. Only this CLI process is affected.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { runCli } = await import("../app/cli/main.ts");
process.exitCode = await runCli(process.argv.slice(2));
